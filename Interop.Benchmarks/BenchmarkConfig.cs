using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Interop.Benchmarks;

/// <summary>
/// A short job (160 cases have to fit in a coffee break on a shared 2-core machine), managed allocations from the
/// memory diagnoser, and the native bytes that each case's graph holds for backward.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public BenchmarkConfig()
    {
        AddJob(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(9)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new HeldForBackwardColumn(inScope: false), new HeldForBackwardColumn(inScope: true));
        AddColumn(StatisticColumn.Median);
    }
}
