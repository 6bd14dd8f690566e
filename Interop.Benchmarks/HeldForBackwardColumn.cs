using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Interop.Reference;

namespace Interop.Benchmarks;

/// <summary>
/// Native memory: the bytes a case's graph holds between forward and backward (<see cref="Workload.HeldForBackward"/>),
/// measured once per module, size and implementation in the host process. BenchmarkDotNet's own native-memory
/// profiler exists on Windows only.
/// </summary>
public sealed class HeldForBackwardColumn : IColumn
{
    private readonly Dictionary<(string, string, Implementation), string> measured = [];

    /// <inheritdoc />
    public string Id => nameof(HeldForBackwardColumn);

    /// <inheritdoc />
    public string ColumnName => "Held for backward";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Metric;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Size;

    /// <inheritdoc />
    public string Legend => "Native bytes that the graph keeps between forward and backward, beyond x, the parameter and y (glibc mallinfo2)";

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => NativeHeap.IsAvailable;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        string module = (string)benchmarkCase.Parameters[nameof(FunctionBenchmarks.Module)];
        string size = (string)benchmarkCase.Parameters[nameof(FunctionBenchmarks.Size)];
        var implementation = (Implementation)benchmarkCase.Parameters[nameof(FunctionBenchmarks.Implementation)];
        var key = (module, size, implementation);
        if (!measured.TryGetValue(key, out var value))
        {
            using var workload = new Workload(ModuleMap.All.Single(m => m.Name == module), Workload.ParseShape(size));
            long? bytes = workload.HeldForBackward(implementation);
            measured[key] = value = bytes is { } b ? $"{b / 1024.0:N1} KB" : "n/a";
        }
        return value;
    }

    /// <inheritdoc />
    public override string ToString() => ColumnName;
}
