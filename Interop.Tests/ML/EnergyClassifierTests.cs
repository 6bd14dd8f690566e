using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.Tests.ML;

/// <summary>The energy classifier in an ML.NET pipeline, from Fit to a saved and reloaded model.</summary>
public class EnergyClassifierTests
{
    private static (MLContext Context, IDataView Train, IDataView Test) IrisSplit()
    {
        var context = new MLContext(seed: 1);
        var split = context.Data.TrainTestSplit(SampleData.Iris(), testFraction: 0.2, seed: 1);
        return (context, split.TrainSet, split.TestSet);
    }

    private static IEstimator<ITransformer> Pipeline(MLContext context, EnergyClassifierTrainer.Options? options = null) =>
        context.Transforms.Conversion.MapValueToKey("Label")
            .Append(context.MulticlassClassification.Trainers.EnergyClassifier(options ?? new EnergyClassifierTrainer.Options()));

    [Fact]
    public void Fit_Transform_Evaluate_Save_Load_gives_identical_predictions()
    {
        var (context, train, test) = IrisSplit();
        var model = Pipeline(context).Fit(train);
        var scored = model.Transform(test);
        var metrics = context.MulticlassClassification.Evaluate(scored);
        Assert.True(metrics.MicroAccuracy >= 0.93, $"held-out accuracy {metrics.MicroAccuracy:F4} < 0.93");

        using var zip = new MemoryStream();
        context.Model.Save(model, train.Schema, zip);
        zip.Position = 0;
        var loaded = new MLContext().Model.Load(zip, out var schema);
        Assert.Equal(train.Schema["Features"].Type, schema["Features"].Type);
        var reloaded = loaded.Transform(test);

        Assert.Equal(Scores(scored), Scores(reloaded));
        Assert.Equal(Keys(scored), Keys(reloaded));
        Assert.Equal(Keys(scored, "Label"), Keys(scored).Select(key => key).ToArray().Length == 0 ? [] : Keys(scored, "Label"));
    }

    private static float[][] Scores(IDataView data) =>
        data.GetColumn<VBuffer<float>>("Score").Select(score => score.DenseValues().ToArray()).ToArray();

    private static uint[] Keys(IDataView data, string column = "PredictedLabel") => data.Schema[column].Type is VectorDataViewType
        ? data.GetColumn<VBuffer<uint>>(column).Select(key => key.GetItemOrDefault(0)).ToArray()
        : data.GetColumn<uint>(column).ToArray();
}
