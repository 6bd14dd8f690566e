using System.Diagnostics;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// Times the hand-written Function, its twin, the pass-through Function and a clone of x in alternation, round after
/// round, in this process. Load from other processes comes and goes; alternating short blocks exposes both
/// implementations to the same conditions, and the median over rounds ignores the rounds that a burst of load spoiled.
/// </summary>
public static class InterleavedTimer
{
    /// <summary>
    /// Runs <paramref name="rounds"/> rounds on <paramref name="workload"/> with libtorch limited to
    /// <paramref name="threads"/> intra-op threads (restored afterwards). In each round every contender runs a block
    /// of calls lasting about <paramref name="block"/>, in an order that alternates between rounds.
    /// </summary>
    public static Comparison Compare(Workload workload, int threads, int rounds, TimeSpan block, bool measureMemory) =>
        WithThreads(threads, () =>
        {
            Action[] contenders =
            [
                () => workload.ForwardBackward(Implementation.HandWritten),
                () => workload.ForwardBackward(Implementation.Twin),
                () => workload.PassThrough(PassThrough.Floor),
                workload.Clone,
            ];
            var medians = MediansOfRounds(contenders, rounds, block);
            return new Comparison(
                workload.Module.Name, workload.Shape, threads,
                medians[0], medians[1], medians[2], medians[3],
                workload.X.numel() * workload.X.ElementSize, workload.NecessaryBytes,
                measureMemory ? workload.HeldForBackward(Implementation.HandWritten) : null,
                measureMemory ? workload.HeldForBackward(Implementation.Twin) : null);
        });

    /// <summary>
    /// The median time of one forward+backward of <paramref name="implementation"/> with nothing else running in this
    /// process. Interleaving cannot show how an implementation leaves the C heap for its own next call, as in a
    /// training loop that runs only it; timing each alone, in processes that alternate, can.
    /// </summary>
    public static double Alone(Workload workload, Implementation implementation, int threads, int rounds, TimeSpan block) =>
        WithThreads(threads, () => MediansOfRounds([() => workload.ForwardBackward(implementation)], rounds, block)[0]);

    private static T WithThreads<T>(int threads, Func<T> measure)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        int previousThreads = get_num_threads();
        set_num_threads(threads);
        try
        {
            return measure();
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    private static double[] MediansOfRounds(Action[] contenders, int rounds, TimeSpan block)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        int[] calls = contenders.Select(c => CallsPerBlock(c, block)).ToArray();
        var times = contenders.Select(_ => new double[rounds]).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < contenders.Length; k++)
            {
                int i = (k + round) % contenders.Length;
                times[i][round] = MicrosecondsPerCall(contenders[i], calls[i]);
            }
        }
        return times.Select(Median).ToArray();
    }

    /// <summary>Warms <paramref name="action"/> up and returns how many calls fill about one block.</summary>
    private static int CallsPerBlock(Action action, TimeSpan block)
    {
        for (int i = 0; i < 3; i++)
            action();
        double once = Enumerable.Range(0, 5).Select(_ => MicrosecondsPerCall(action, 1)).Min();
        return (int)Math.Clamp(block.TotalMicroseconds / once, 1, 100_000);
    }

    private static double MicrosecondsPerCall(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
            action();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
