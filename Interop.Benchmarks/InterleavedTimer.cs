using System.Diagnostics;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// Times the hand-written Function, its twin, the pass-through Function and a clone of x in alternation, round after round, in this process.
/// Load from other processes comes and goes; alternating short blocks exposes both implementations to the same
/// conditions, and the median over rounds ignores the rounds that a burst of load spoiled.
/// </summary>
public static class InterleavedTimer
{
    /// <summary>
    /// Runs <paramref name="rounds"/> rounds on <paramref name="workload"/> with libtorch limited to
    /// <paramref name="threads"/> intra-op threads (restored afterwards). In each round every contender runs a block
    /// of calls lasting about <paramref name="block"/>, in an order that alternates between rounds.
    /// </summary>
    public static Comparison Compare(Workload workload, int threads, int rounds, TimeSpan block, bool measureMemory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        int previousThreads = get_num_threads();
        set_num_threads(threads);
        try
        {
            Action[] contenders =
            [
                () => workload.ForwardBackward(Implementation.HandWritten),
                () => workload.ForwardBackward(Implementation.Twin),
                workload.PassThrough,
                workload.Clone,
            ];
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
            return new Comparison(
                workload.Module.Name, workload.Shape, threads,
                Median(times[0]), Median(times[1]), Median(times[2]), Median(times[3]),
                workload.X.numel() * workload.X.ElementSize, workload.NecessaryBytes,
                measureMemory ? workload.HeldForBackward(Implementation.HandWritten) : null,
                measureMemory ? workload.HeldForBackward(Implementation.Twin) : null);
        }
        finally
        {
            set_num_threads(previousThreads);
        }
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
