using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.Tests.Reliability;

/// <summary>The ML.NET side at scale and at the edges: streaming, damaged model files, rows with NaN.</summary>
public class MlReliabilityTests
{
    private sealed class IrisRow
    {
        public float Label { get; set; }

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    private static (MLContext Context, ITransformer Model, IDataView Train) TrainedIris()
    {
        var context = new MLContext(seed: 1);
        var train = SampleData.Iris();
        var model = context.Transforms.Conversion.MapValueToKey("Label")
            .Append(context.MulticlassClassification.Trainers.EnergyClassifier(new EnergyClassifierTrainer.Options { NumberOfEpochs = 5 }))
            .Fit(train);
        return (context, model, train);
    }

    /// <summary>
    /// A million rows go through Transform while the source yields them one at a time: at no point has the source run
    /// more than a small buffer ahead of the reader, so the rows are never all in memory.
    /// </summary>
    [Fact]
    public void Transform_over_a_million_rows_streams()
    {
        const int rows = 1_000_000;
        var (context, model, _) = TrainedIris();
        long produced = 0;
        IEnumerable<IrisRow> Source()
        {
            var row = new IrisRow { Features = new float[4] };
            for (int i = 0; i < rows; i++)
            {
                produced++;
                row.Label = i % 3;
                row.Features[0] = 4.5f + i % 30 * 0.1f;
                row.Features[1] = 3.0f;
                row.Features[2] = 1.0f + i % 50 * 0.1f;
                row.Features[3] = 0.2f + i % 20 * 0.1f;
                yield return row;
            }
        }

        var scored = model.Transform(context.Data.LoadFromEnumerable(Source()));
        var predicted = scored.Schema["PredictedLabel"];
        long read = 0, furthestAhead = 0;
        uint key = 0;
        using (var cursor = scored.GetRowCursor([predicted]))
        {
            var getter = cursor.GetGetter<uint>(predicted);
            while (cursor.MoveNext())
            {
                getter(ref key);
                Assert.InRange(key, 1u, 3u);
                read++;
                furthestAhead = Math.Max(furthestAhead, produced - read);
            }
        }
        Assert.Equal(rows, read);
        Assert.InRange(furthestAhead, 0, 10_000);
    }

    private static byte[] SavedModel()
    {
        var (context, model, train) = TrainedIris();
        using var zip = new MemoryStream();
        context.Model.Save(model, train.Schema, zip);
        return zip.ToArray();
    }

    [Fact]
    public void A_truncated_or_corrupted_model_zip_is_refused_with_an_exception()
    {
        byte[] saved = SavedModel();
        var damaged = new List<(string What, byte[] Bytes)>
        {
            ("empty", []),
            ("not a zip", "this is not a model"u8.ToArray()),
        };
        foreach (int length in new[] { 10, saved.Length / 4, saved.Length / 2, saved.Length - 100, saved.Length - 1 })
            damaged.Add(($"cut to {length} of {saved.Length} bytes", saved[..length]));
        foreach (double at in new[] { 0.3, 0.6, 0.9 })
        {
            byte[] flipped = (byte[])saved.Clone();
            for (int i = (int)(at * saved.Length); i < (int)(at * saved.Length) + 64; i++)
                flipped[i] ^= 0x5A;
            damaged.Add(($"64 bytes flipped at {at:P0}", flipped));
        }

        foreach (var (what, bytes) in damaged)
        {
            // ML.NET's own Load refuses them all, in words that rarely name the problem ...
            Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(new MemoryStream(bytes), out _).Transform(SampleData.Iris()).Preview(5));
            // ... LoadChecked says that the file is damaged, and where.
            var error = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadChecked(new MemoryStream(bytes), out _));
            Assert.Contains("the stream is", error.Message);
            Assert.Matches("not a complete ML.NET model zip|not a model ML.NET can load", error.Message);
        }
    }

    [Fact]
    public void An_intact_model_loads_checked_and_scores_like_the_original()
    {
        var (context, model, train) = TrainedIris();
        string path = Path.Combine(Path.GetTempPath(), $"interop-{Guid.NewGuid():N}.zip");
        try
        {
            context.Model.Save(model, train.Schema, path);
            var loaded = new MLContext().Model.LoadChecked(path, out var schema);
            Assert.NotNull(schema.GetColumnOrNull("Features"));
            Assert.Equal(model.Transform(train).GetColumn<float[]>("Score").SelectMany(s => s),
                loaded.Transform(train).GetColumn<float[]>("Score").SelectMany(s => s));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NaN_rows_stop_training_with_their_row_named_or_are_left_out_as_asked()
    {
        var context = new MLContext(seed: 1);
        var clean = context.Data.CreateEnumerable<IrisRow>(SampleData.Iris(), reuseRowObject: false).ToList();
        var withNaN = clean.Select(r => new IrisRow { Label = r.Label, Features = (float[])r.Features.Clone() }).ToList();
        withNaN.Insert(7, new IrisRow { Label = 1, Features = [5f, float.NaN, 1f, 0.2f] });
        withNaN.Insert(40, new IrisRow { Label = 2, Features = [float.NaN, 3f, 1f, 0.2f] });

        EnergyClassifierTransformer Fit(List<IrisRow> rows, NaNPolicy policy) =>
            context.Transforms.Conversion.MapValueToKey("Label")
                .Append(context.MulticlassClassification.Trainers.EnergyClassifier(
                    new EnergyClassifierTrainer.Options { NumberOfEpochs = 5, NaNPolicy = policy, Seed = 3, HoldOutFraction = 0 }))
                .Fit(context.Data.LoadFromEnumerable(rows)).LastTransformer;

        var error = Assert.ThrowsAny<Exception>(() => Fit(withNaN, NaNPolicy.Error));
        Assert.Contains("NaN", error.Message);
        Assert.Contains("Features", error.Message);

        var skipped = Fit(withNaN, NaNPolicy.SkipRow);
        var reference = Fit(clean, NaNPolicy.Error);
        Assert.Equal(reference.Model.Beta, skipped.Model.Beta);
        Assert.Equal(reference.Model.K, skipped.Model.K);
    }
}
