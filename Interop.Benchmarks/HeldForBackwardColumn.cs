using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Interop.Reference;

namespace Interop.Benchmarks;

/// <summary>
/// Native memory: the bytes a case holds between forward and backward (<see cref="Workload.HeldForBackward"/>),
/// counted by the graph or in the caller's dispose scope, measured once per module, size and implementation in the
/// host process. BenchmarkDotNet's own native-memory profiler exists on Windows only.
/// </summary>
/// <param name="inScope">Count what the caller's dispose scope holds rather than what the graph holds.</param>
public sealed class HeldForBackwardColumn(bool inScope) : IColumn
{
    private static readonly Dictionary<(string, string, Implementation), HeldBytes?> Measured = [];

    /// <inheritdoc />
    public string Id => $"{nameof(HeldForBackwardColumn)}.{ColumnName}";

    /// <inheritdoc />
    public string ColumnName => inScope ? "Held in scope" : "Held by graph";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Metric;

    /// <inheritdoc />
    public int PriorityInCategory => inScope ? 1 : 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Size;

    /// <inheritdoc />
    public string Legend => inScope
        ? "Native bytes kept from forward to backward beyond x, the parameter and y, with forward's temporaries alive until the caller's dispose scope ends (glibc mallinfo2)"
        : "Native bytes the graph keeps from forward to backward beyond x, the parameter and y, forward's temporaries released (glibc mallinfo2)";

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
        if (!Measured.TryGetValue(key, out var held))
        {
            using var workload = new Workload(ModuleMap.All.Single(m => m.Name == module), Workload.ParseShape(size));
            Measured[key] = held = workload.HeldForBackward(implementation);
        }
        return held is null ? "n/a" : $"{(inScope ? held.InScope : held.ByGraph) / 1024.0:N1} KB";
    }

    /// <inheritdoc />
    public override string ToString() => ColumnName;
}
