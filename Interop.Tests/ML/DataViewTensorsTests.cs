using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.ML;

/// <summary>IDataView columns to tensors and back, mini-batches, and the errors of bad columns.</summary>
public class DataViewTensorsTests
{
    private static readonly MLContext Context = new(seed: 0);

    [Fact]
    public void Vector_scalar_and_key_columns_become_tensors()
    {
        var data = Context.Data.LoadFromEnumerable(
        [
            new Row { Features = [1, 2, 3], Value = 0.5, Name = "b" },
            new Row { Features = [4, 5, 6], Value = 1.5, Name = "a" },
            new Row { Features = [7, 8, 9], Value = 2.5, Name = "b" },
        ]);
        var keyed = Context.Transforms.Conversion.MapValueToKey("Name").Fit(data).Transform(data);

        using var features = keyed.ToTensor("Features");
        using var values = keyed.ToTensor("Value", new TensorConversionOptions { DType = ScalarType.Float64 });
        using var keys = keyed.ToTensor("Name");

        Assert.Equal([3L, 3L], features.shape);
        Assert.Equal(ScalarType.Float32, features.dtype);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8, 9], features.data<float>().ToArray());
        Assert.Equal([0.5, 1.5, 2.5], values.data<double>().ToArray());
        Assert.Equal(ScalarType.Int64, keys.dtype);
        Assert.Equal([0L, 1, 0], keys.data<long>().ToArray());
    }

    [Fact]
    public void Sparse_vectors_are_densified()
    {
        var data = Context.Data.LoadFromEnumerable(
            [new SparseRow { Features = new VBuffer<float>(4, 2, [5f, 7f], [1, 3]) }],
            SchemaDefinition.Create(typeof(SparseRow)));
        using var features = data.ToTensor("Features");
        Assert.Equal([0f, 5, 0, 7], features.data<float>().ToArray());
    }

    [Fact]
    public void NaN_rows_are_an_error_or_skipped_in_every_column()
    {
        var data = Context.Data.LoadFromEnumerable(
        [
            new Row { Features = [1, 2, 3], Value = 1 },
            new Row { Features = [float.NaN, 2, 3], Value = 2 },
            new Row { Features = [4, 5, 6], Value = 3 },
        ]);
        var error = Assert.Throws<InvalidOperationException>(() => data.ToTensor("Features"));
        Assert.Contains("Column 'Features' holds NaN or a missing key in row 1", error.Message);

        var (features, labels) = data.ToTensors("Features", "Value", new TensorConversionOptions { NaNPolicy = NaNPolicy.SkipRow });
        Assert.Equal([2L, 3L], features.shape);
        Assert.Equal([1f, 3f], labels.data<float>().ToArray());
    }

    [Fact]
    public void Variable_size_vectors_are_an_error_unless_padded()
    {
        var data = Context.Data.LoadFromEnumerable([new VariableRow { Features = [1, 2] }, new VariableRow { Features = [3] }]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => data.ToTensor("Features"));
        Assert.Contains("Column 'Features' must be a known-size vector; got the variable-size Vector<Single>", error.Message);

        using var padded = data.ToTensor("Features", new TensorConversionOptions { PadVectorsToLength = 3 });
        Assert.Equal([1f, 2, 0, 3, 0, 0], padded.data<float>().ToArray());
    }

    [Fact]
    public void Missing_and_text_columns_are_named()
    {
        var data = Context.Data.LoadFromEnumerable([new Row { Features = [1, 2, 3], Name = "x" }]);
        Assert.Contains("Column 'Pixels' not found in the data; its columns are: Features, Value, Name",
            Assert.Throws<ArgumentOutOfRangeException>(() => data.ToTensor("Pixels")).Message);
        Assert.Contains("Column 'Name' must be " + "a known-size vector of Single or Double, a Single or Double scalar, or a key; got String",
            Assert.Throws<ArgumentOutOfRangeException>(() => data.ToTensor("Name")).Message);
    }

    [Fact]
    public void Batches_cover_every_row_once_and_a_seed_fixes_the_shuffle()
    {
        using var x = arange(20, dtype: ScalarType.Float32).reshape(10, 2);
        using var y = arange(10, dtype: ScalarType.Float32);
        var data = new TensorDataView([("Features", x), ("Label", y)]);

        float[] Order(bool shuffle, int seed) => data.ToBatches("Features", "Label", batchSize: 4, shuffle, seed)
            .SelectMany(batch => { using (batch) return batch.Labels!.data<float>().ToArray(); }).ToArray();

        Assert.Equal([4L, 4L, 2L], data.ToBatches("Features", null, 4).Select(batch => { using (batch) return batch.Count; }));
        Assert.Equal(y.data<float>().ToArray(), Order(shuffle: false, seed: 0));
        var shuffled = Order(shuffle: true, seed: 7);
        Assert.Equal(shuffled, Order(shuffle: true, seed: 7));
        Assert.NotEqual(y.data<float>().ToArray(), shuffled);
        Assert.Equal(y.data<float>().ToArray(), shuffled.Order());
        // Features and labels stay together: feature row r is [2r, 2r + 1] for label r.
        foreach (var batch in data.ToBatches("Features", "Label", 3, shuffle: true, seed: 7))
        {
            using (batch)
                Assert.Equal((batch.Labels! * 2).data<float>().ToArray(), batch.Features[.., 0].data<float>().ToArray());
        }
    }

    [Fact]
    public void A_tensor_becomes_a_column_and_back()
    {
        using var x = randn([5, 3], generator: new Generator(1));
        var view = x.ToDataView("Features");
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), view.Schema["Features"].Type);
        using var back = view.ToTensor("Features");
        Assert.Equal(x.data<float>().ToArray(), back.data<float>().ToArray());
    }

    private sealed class Row
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public double Value { get; set; }
        public string Name { get; set; } = "";
    }

    private sealed class SparseRow
    {
        [VectorType(4)] public VBuffer<float> Features { get; set; }
    }

    private sealed class VariableRow
    {
        public float[] Features { get; set; } = [];
    }
}
