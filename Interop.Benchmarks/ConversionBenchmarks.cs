using BenchmarkDotNet.Attributes;
using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// An ML.NET vector column of float32 read into a [rows, features] tensor (<see cref="DataViewTensors.ToTensor"/>),
/// against the plain copy of the same floats from the rows' arrays into one array, and that copy made into a tensor:
/// the conversion's throughput measured against what a hand-rolled one would cost.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 9)]
public class ConversionBenchmarks
{
    private float[][] rows = [];
    private float[] flat = [];
    private IDataView data = null!;

    /// <summary>rows × features, as 1000x8.</summary>
    [Params("1000x8", "100000x64")]
    public string Size { get; set; } = "";

    /// <summary>Builds the rows, seeded, and the IDataView over them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        long[] shape = Workload.ParseShape(Size);
        int count = (int)shape[0], features = (int)shape[1];
        var random = new Random(1);
        rows = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, features).Select(_ => random.NextSingle()).ToArray()).ToArray();
        flat = new float[count * features];
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        data = new MLContext(seed: 1).Data.LoadFromEnumerable(rows.Select(r => new Row { Features = r }), schema);
    }

    /// <summary>The IDataView's column read into a tensor by Interop.</summary>
    [Benchmark]
    public void ToTensor() => data.ToTensor(nameof(Row.Features)).Dispose();

    /// <summary>The same floats copied from the rows' arrays into one array: the yardstick.</summary>
    [Benchmark(Baseline = true)]
    public void ArrayCopy() => CopyRows();

    /// <summary>The array copy, then a tensor made from that array.</summary>
    [Benchmark]
    public void ArrayCopyThenTensor()
    {
        CopyRows();
        tensor(flat, [rows.Length, rows[0].Length]).Dispose();
    }

    private void CopyRows()
    {
        for (int i = 0; i < rows.Length; i++)
            Array.Copy(rows[i], 0, flat, i * rows[i].Length, rows[i].Length);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }
}
