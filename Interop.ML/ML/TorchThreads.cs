using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// libtorch's intra-op thread count for the length of a training run, put back as it was when the run ends. On the
/// small batches of small data sets a parallel region costs more than it computes, and when the other cores are busy
/// libtorch's waiting threads spin and cost several times the work: one thread is then both cheaper and as fast.
/// libtorch keeps this count per calling thread (OpenMP's), so a run sets and restores it on the thread it runs on.
/// </summary>
internal sealed class TorchThreads : IDisposable
{
    /// <summary>Below this many elements in a batch's largest tensor, training runs on one thread.</summary>
    public const long ParallelElements = 1 << 18;

    private readonly int _saved;

    private TorchThreads(int threads)
    {
        _saved = get_num_threads();
        set_num_threads(threads);
    }

    /// <summary>
    /// Sets the thread count for a run whose batches have <paramref name="batchElements"/> elements in their largest
    /// tensor: <paramref name="requested"/> when given, else one thread below <see cref="ParallelElements"/>; above it,
    /// libtorch's own count (then nothing is changed and this returns null).
    /// </summary>
    public static TorchThreads? For(long batchElements, int? requested)
    {
        int threads = requested ?? (batchElements < ParallelElements ? 1 : 0);
        return threads > 0 && threads != get_num_threads() ? new TorchThreads(threads) : null;
    }

    public void Dispose() => set_num_threads(_saved);
}
