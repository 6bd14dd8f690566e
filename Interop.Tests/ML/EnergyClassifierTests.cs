using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.Tests.ML;

/// <summary>The energy classifier in an ML.NET pipeline, from Fit to a saved and reloaded model, and its errors.</summary>
public class EnergyClassifierTests
{
    private static (MLContext Context, IDataView Train, IDataView Test) IrisSplit()
    {
        var context = new MLContext(seed: 1);
        var split = context.Data.TrainTestSplit(SampleData.Iris(), testFraction: 0.2, seed: 1);
        return (context, split.TrainSet, split.TestSet);
    }

    private static EnergyClassifierTrainer Trainer(MLContext context, Action<EnergyClassifierTrainer.Options>? configure = null)
    {
        var options = new EnergyClassifierTrainer.Options { NumberOfEpochs = 30 };
        configure?.Invoke(options);
        return context.MulticlassClassification.Trainers.EnergyClassifier(options);
    }

    [Fact]
    public void Fit_Transform_Evaluate_Save_Load_gives_identical_predictions()
    {
        var (context, train, test) = IrisSplit();
        var losses = new List<double>();
        var model = context.Transforms.Conversion.MapValueToKey("Label")
            .Append(Trainer(context, options => options.EpochLossCallback = (_, loss) => losses.Add(loss)))
            .Fit(train);
        var scored = model.Transform(test);
        var metrics = context.MulticlassClassification.Evaluate(scored);
        Assert.True(metrics.MicroAccuracy >= 0.93, $"held-out accuracy {metrics.MicroAccuracy:F4} < 0.93");
        Assert.True(metrics.LogLoss < 0.3, $"held-out log-loss {metrics.LogLoss:F4}");

        var classifier = model.LastTransformer;
        Assert.InRange(losses.Count, 1, 30);
        Assert.Equal(losses, classifier.LossHistory);
        Assert.True(classifier.Model.Beta > 0 && double.IsFinite(classifier.Model.Beta), $"β = {classifier.Model.Beta}");
        Assert.Equal(4, classifier.Model.K.Count);
        Assert.Equal(1.0, Math.Sqrt(classifier.Model.K.Average(k => (double)k * k)), 4);
        Assert.Equal(3, classifier.Model.Prototypes.Count);

        using var zip = new MemoryStream();
        context.Model.Save(model, train.Schema, zip);
        zip.Position = 0;
        var reloaded = new MLContext().Model.Load(zip, out _).Transform(test);

        Assert.Equal(Scores(scored), Scores(reloaded));
        Assert.Equal(PredictedKeys(scored), PredictedKeys(reloaded));
        // PredictedLabel carries the label's key values, so it maps back to the original label values.
        var predictedValues = context.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel").Fit(scored).Transform(scored)
            .GetColumn<float>("PredictedValue").ToArray();
        var labels = test.GetColumn<float>("Label").ToArray();
        Assert.Equal(metrics.MicroAccuracy, predictedValues.Zip(labels).Count(pair => pair.First == pair.Second) / (double)labels.Length, 9);
    }

    [Fact]
    public void Missing_feature_column_is_named()
    {
        var (context, train, _) = IrisSplit();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            context.Transforms.Conversion.MapValueToKey("Label").Append(Trainer(context, o => o.FeatureColumnName = "Pixels")).Fit(train));
        Assert.Contains("'Pixels' not found", error.Message);
    }

    [Fact]
    public void Text_feature_column_is_rejected_with_its_type()
    {
        var context = new MLContext();
        var data = context.Data.LoadFromEnumerable([new TextRow { Features = "a", Label = 1 }, new TextRow { Features = "b", Label = 2 }]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            context.Transforms.Conversion.MapValueToKey("Label").Append(Trainer(context)).Fit(data));
        Assert.Contains("Feature column 'Features' must be a known-size vector of Single or Double; got String", error.Message);
    }

    [Fact]
    public void Variable_size_feature_vector_is_rejected()
    {
        var context = new MLContext();
        var data = context.Data.LoadFromEnumerable([new VariableRow { Features = [1, 2], Label = 1 }, new VariableRow { Features = [3], Label = 2 }]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            context.Transforms.Conversion.MapValueToKey("Label").Append(Trainer(context)).Fit(data));
        Assert.Contains("must be a known-size vector of Single or Double; got variable-size Vector<Single>", error.Message);
    }

    [Fact]
    public void Label_that_is_not_a_key_is_rejected()
    {
        var (context, train, _) = IrisSplit();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(context).Fit(train));
        Assert.Contains("Label column 'Label' must be a key type", error.Message);
        Assert.Contains("got Single", error.Message);
    }

    [Fact]
    public void Feature_count_that_differs_at_transform_time_is_named()
    {
        var (context, train, _) = IrisSplit();
        var model = context.Transforms.Conversion.MapValueToKey("Label").Append(Trainer(context, o => o.NumberOfEpochs = 2)).Fit(train);
        var threeFeatures = context.Data.LoadFromEnumerable([new ThreeFeatureRow { Features = [1, 2, 3], Label = 0 }]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.LastTransformer.Transform(threeFeatures));
        Assert.Contains("Column 'Features' must be Vector<Single, 4>, as in training (the model was trained on 4 features, the data has 3); got Vector<Single, 3>", error.Message);
    }

    private static float[][] Scores(IDataView data) => data.GetColumn<float[]>("Score").ToArray();

    private static uint[] PredictedKeys(IDataView data) => data.GetColumn<uint>("PredictedLabel").ToArray();

    private sealed class TextRow
    {
        public string Features { get; set; } = "";
        public float Label { get; set; }
    }

    private sealed class VariableRow
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class ThreeFeatureRow
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }
}
