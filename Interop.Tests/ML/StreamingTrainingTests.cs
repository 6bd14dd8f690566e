using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.ML;

/// <summary>Training data larger than the in-memory budget is read from the IDataView in batches, every epoch.</summary>
public class StreamingTrainingTests
{
    private const int Features = 100;

    private sealed class Row
    {
        public float Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    /// <summary>Rows made as they are read; three well-separated classes. Counts how often it is enumerated.</summary>
    private sealed class LazySource(int rows)
    {
        public int Enumerations { get; private set; }

        public IEnumerable<Row> Rows()
        {
            Enumerations++;
            var random = new Random(3);
            var row = new Row { Features = new float[Features] };
            for (int i = 0; i < rows; i++)
            {
                int label = i % 3;
                for (int j = 0; j < Features; j++)
                    row.Features[j] = (float)random.NextDouble() + (j % 3 == label ? 1f : 0f);
                row.Label = label;
                yield return row;
            }
        }

        public IDataView View(MLContext context)
        {
            var schema = SchemaDefinition.Create(typeof(Row));
            schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Features);
            var rows = context.Data.LoadFromEnumerable(Rows(), schema);
            // Key data given up front, so that making the key reads no rows.
            var classes = context.Data.LoadFromEnumerable(new[] { 0f, 1f, 2f }.Select(value => new Class { Label = value }));
            return context.Transforms.Conversion.MapValueToKey("Label", keyData: classes).Fit(rows).Transform(rows);
        }
    }

    [Fact]
    public void Rows_beyond_the_budget_are_streamed_in_batches_that_cover_every_row_once()
    {
        int rows = (int)(TrainingRows.InMemoryElements / Features) + 5000;
        var source = new LazySource(rows);
        var data = source.View(new MLContext(1));
        long observed = 0;
        using var training = TrainingRows.Read(data, "Features", "Label", NaNPolicy.Error, null, (x, _) => observed += x.shape[0], () => { });
        Assert.False(training.InMemory);
        Assert.Equal(rows, training.Count);
        Assert.Equal(rows, observed);

        long seen = 0, labelSum = 0;
        int largest = 0;
        foreach (var (features, labels) in training.Batches(1024, seed: 1))
        {
            seen += features.shape[0];
            largest = Math.Max(largest, (int)features.shape[0]);
            labelSum += labels.sum().ToInt64();
        }
        Assert.Equal(rows, seen);
        Assert.Equal(1024, largest);
        Assert.Equal(Enumerable.Range(0, rows).Sum(i => (long)(i % 3)), labelSum);
        Assert.Equal(2, source.Enumerations);
    }

    [Fact]
    public void Fit_on_a_streamed_source_reads_it_once_per_epoch_and_learns_it()
    {
        int rows = (int)(TrainingRows.InMemoryElements / Features) + 5000;
        var source = new LazySource(rows);
        var context = new MLContext(1);
        var data = source.View(context);
        var model = context.MulticlassClassification.Trainers.EnergyClassifier(new EnergyClassifierTrainer.Options
        {
            NumberOfEpochs = 2,
            PrototypesPerClass = 1,
        }).Fit(data);
        Assert.Equal(2, model.History.Count);
        // The first pass gathers the statistics, then one pass per epoch; Fit's scoring chain reads no rows.
        Assert.Equal(3, source.Enumerations);
        var metrics = context.MulticlassClassification.Evaluate(model.Transform(new LazySource(3000).View(context)));
        Assert.True(metrics.MicroAccuracy > 0.99, $"accuracy {metrics.MicroAccuracy}");
    }

    [Fact]
    public void ToTensor_allocates_once_for_a_known_row_count_and_grows_for_an_unknown_one()
    {
        using var x = arange(3000, dtype: ScalarType.Float32).reshape(1000, 3);
        var known = new TensorDataView([("Features", x)]);
        Assert.Equal(1000, known.GetRowCount());
        using var fromKnown = known.ToTensor("Features");
        var context = new MLContext(1);
        var unknown = context.Data.LoadFromEnumerable(x.data<float>().ToArray().Chunk(3).Select(row => new Vector3 { Features = row }));
        Assert.Null(unknown.GetRowCount());
        using var fromUnknown = unknown.ToTensor("Features");
        Assert.Equal(x.data<float>().ToArray(), fromKnown.data<float>().ToArray());
        Assert.Equal(x.data<float>().ToArray(), fromUnknown.data<float>().ToArray());
    }

    private sealed class Class
    {
        public float Label { get; set; }
    }

    private sealed class Vector3
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
    }
}
