using System.Reflection;
using Interop.ML;
using Interop.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Trainers;

namespace Interop.Tests.ML;

/// <summary>
/// The conventions an ML.NET user relies on with the stock trainers, each checked on the energy classifier and the
/// decay regressor (issue 12's list, 1–9).
/// </summary>
public class ConventionTests
{
    private static IDataView Iris => SampleData.Iris();

    private static EstimatorChain<EnergyClassifierTransformer> Pipeline(MLContext context, EnergyClassifierTrainer.Options? options = null) =>
        context.Transforms.Conversion.MapValueToKey("Label")
            .Append(context.MulticlassClassification.Trainers.EnergyClassifier(options ?? new EnergyClassifierTrainer.Options()));

    private static byte[] Saved(MLContext context, ITransformer model, IDataView data)
    {
        using var zip = new MemoryStream();
        context.Model.Save(model, data.Schema, zip);
        return zip.ToArray();
    }

    private static ITransformer Loaded(byte[] zip) => new MLContext().Model.Load(new MemoryStream(zip), out _);

    // 1. Output columns
    [Fact]
    public void Classifier_writes_a_scalar_key_PredictedLabel_and_a_one_dimensional_Score_in_process_and_after_loading()
    {
        var context = new MLContext(seed: 1);
        var model = Pipeline(context).Fit(Iris);
        foreach (var scored in new[] { model.Transform(Iris), Loaded(Saved(context, model, Iris)).Transform(Iris) })
        {
            Assert.Equal(new KeyDataViewType(typeof(uint), 3), scored.Schema["PredictedLabel"].Type);
            Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), scored.Schema["Score"].Type);
            var rows = context.Data.CreateEnumerable<TutorialPrediction>(scored, reuseRowObject: false).ToList();
            Assert.All(rows, row => Assert.Equal(3, row.Score.Length));
            Assert.All(rows, row => Assert.Equal(Array.IndexOf(row.Score, row.Score.Max()) + 1, (int)row.PredictedLabel));
            var values = context.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);
            var labels = context.Data.CreateEnumerable<PredictedValue>(values, reuseRowObject: false).Select(row => row.PredictedLabel).ToList();
            Assert.Equal(rows.Select(row => row.PredictedLabel - 1f), labels);
        }
    }

    // 2. Feature importance
    [Fact]
    public void Permutation_feature_importance_finds_the_petal_measurements()
    {
        var context = new MLContext(seed: 1);
        var model = Pipeline(context).Fit(Iris);
        var keyed = model.Take(1).Single().Transform(Iris);
        var importance = context.MulticlassClassification.PermutationFeatureImportance(model.LastTransformer, keyed, permutationCount: 3);
        Assert.Equal(4, importance.Length);
        var drops = importance.Select(feature => feature.MicroAccuracy.Mean).ToArray();
        // Features: sepal length, sepal width, petal length, petal width. Shuffling a petal measurement costs accuracy.
        Assert.True(Math.Min(drops[2], drops[3]) < -0.05, $"accuracy changes when shuffled: [{string.Join(", ", drops.Select(d => d.ToString("F3")))}]");
    }

    // 3. Seeds
    [Fact]
    public void The_MLContext_seed_seeds_training_when_the_option_is_not_set()
    {
        // Mini-batches in a seeded order, so that the seed shows in β (full-batch L-BFGS on all rows does not depend on it).
        EnergyClassifierTrainer.Options Options(int? seed) => new() { Optimizer = TrainingOptimizer.Adam, BatchSize = 16, NumberOfEpochs = 5, Seed = seed };
        double Beta(int contextSeed, int? seed = null) => Pipeline(new MLContext(contextSeed), Options(seed)).Fit(Iris).LastTransformer.Model.Beta;
        Assert.Equal(Beta(1), Beta(1));
        Assert.NotEqual(Beta(1), Beta(2));
        Assert.Equal(Beta(1, seed: 5), Beta(2, seed: 5));
    }

    // 4. Cancellation
    [Fact]
    public void A_cancellation_token_stops_training_between_epochs()
    {
        using var cancel = new CancellationTokenSource();
        int epochs = 0;
        var options = new EnergyClassifierTrainer.Options
        {
            CancellationToken = cancel.Token,
            EarlyStoppingPatience = 0,
            EpochLossCallback = (epoch, _) => { epochs = epoch; if (epoch == 2) cancel.Cancel(); },
        };
        Assert.ThrowsAny<OperationCanceledException>(() => Pipeline(new MLContext(1), options).Fit(Iris));
        Assert.Equal(2, epochs);
    }

    [Fact]
    public void The_MLContext_cancellation_that_AutoML_uses_stops_training_as_it_stops_LbfgsMaximumEntropy()
    {
        // MLContext.CancelExecution is internal (AutoML reaches it as a friend assembly); the test calls it the same way.
        var cancelExecution = typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var context = new MLContext(1);
        int epochs = 0;
        var options = new EnergyClassifierTrainer.Options
        {
            EarlyStoppingPatience = 0,
            EpochLossCallback = (epoch, _) => { epochs = epoch; if (epoch == 2) cancelExecution.Invoke(context, null); },
        };
        Assert.ThrowsAny<OperationCanceledException>(() => Pipeline(context, options).Fit(Iris));
        Assert.Equal(2, epochs);

        var stock = new MLContext(1);
        cancelExecution.Invoke(stock, null);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            stock.Transforms.Conversion.MapValueToKey("Label").Append(stock.MulticlassClassification.Trainers.LbfgsMaximumEntropy()).Fit(Iris));
    }

    // 5. ONNX for the whole pipeline
    [Fact]
    public void A_whole_pipeline_with_its_normaliser_exports_to_one_onnx_model_that_scores_as_ML_NET_does()
    {
        var context = new MLContext(seed: 1);
        var model = context.Transforms.Conversion.MapValueToKey("Label")
            .Append(context.Transforms.NormalizeMeanVariance("Features"))
            .Append(context.MulticlassClassification.Trainers.EnergyClassifier())
            .Fit(Iris);
        // ML.NET's own converter refuses the trainer, as it refuses any transformer from outside ML.NET.
        Assert.ThrowsAny<Exception>(() => context.Model.ConvertToOnnx(model, Iris, new MemoryStream()));

        using var onnx = new MemoryStream();
        context.Model.ConvertPipelineToOnnx(model, Iris, onnx);
        var features = Iris.GetColumn<float[]>("Features").ToArray();
        var labels = Iris.GetColumn<float>("Label").ToArray();
        using var session = new InferenceSession(onnx.ToArray());
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("Features", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(features.SelectMany(row => row).ToArray(), [features.Length, 4])),
            NamedOnnxValue.CreateFromTensor("Label", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(labels, [labels.Length, 1])),
        ]);
        var onnxScores = results.Single(result => result.Name == "Score.output").AsTensor<float>().ToArray();
        var onnxLabels = results.Single(result => result.Name == "PredictedLabel.output").AsTensor<float>().ToArray();
        var scored = model.Transform(Iris);
        var mlnetScores = scored.GetColumn<float[]>("Score").SelectMany(row => row).ToArray();
        Assert.Equal(mlnetScores.Length, onnxScores.Length);
        Assert.True(mlnetScores.Zip(onnxScores, (a, b) => Math.Abs(a - b)).Max() < 1e-5);
        var predicted = context.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored).GetColumn<float>("PredictedLabel");
        Assert.Equal(predicted, onnxLabels);
    }

    // 6. Parameters after Save and Load
    [Fact]
    public void Beta_K_and_the_prototypes_read_back_from_a_loaded_model_and_from_a_zip()
    {
        var context = new MLContext(seed: 1);
        var model = Pipeline(context, new EnergyClassifierTrainer.Options { PrototypesPerClass = 2 }).Fit(Iris);
        var trained = model.LastTransformer.Model;
        byte[] zip = Saved(context, model, Iris);
        string path = Path.Combine(Path.GetTempPath(), $"interop-test-{Guid.NewGuid():N}.zip");
        File.WriteAllBytes(path, zip);
        try
        {
            foreach (var read in new[] { EnergyClassifierModelParameters.FromModel(Loaded(zip)), EnergyClassifierModelParameters.FromZip(path), EnergyClassifierModelParameters.FromModel(model) })
            {
                Assert.Equal(trained.Beta, read.Beta);
                Assert.Equal(trained.K, read.K);
                Assert.Equal(2, read.PrototypesPerClass);
                Assert.Equal(trained.Prototypes.SelectMany(c => c.SelectMany(p => p)), read.Prototypes.SelectMany(c => c.SelectMany(p => p)));
            }
        }
        finally
        {
            File.Delete(path);
        }
        var error = Assert.Throws<InvalidDataException>(() => ExponentialDecayModelParameters.FromModel(Loaded(zip)));
        Assert.Contains("holds no ExponentialDecayTrainer", error.Message);
    }

    // 7. Regression's Score
    [Fact]
    public void The_decay_model_writes_a_scalar_Score_that_Evaluate_CrossValidate_and_a_float_POCO_accept()
    {
        var context = new MLContext(seed: 1);
        var data = SampleData.DecayCurve(300, beta: 0.8, k: 2.5, noise: 0.01, seed: 3);
        var trainer = context.Regression.Trainers.ExponentialDecay();
        var model = trainer.Fit(data);
        foreach (var scored in new[] { model.Transform(data), Loaded(Saved(context, model, data)).Transform(data) })
        {
            Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
            Assert.True(context.Regression.Evaluate(scored).RSquared > 0.99);
            Assert.All(context.Data.CreateEnumerable<RegressionPrediction>(scored, reuseRowObject: false), row => Assert.InRange(row.Score, 0f, 3f));
        }
        var folds = context.Regression.CrossValidate(data, trainer, numberOfFolds: 3);
        Assert.All(folds, fold => Assert.True(fold.Metrics.RSquared > 0.99, $"fold R² {fold.Metrics.RSquared}"));
        Assert.Equal(ExponentialDecayModelParameters.FromModel(model).Beta, ExponentialDecayModelParameters.FromModel(Loaded(Saved(context, model, data))).Beta);
    }

    // 8. The ".ort" name, and temporary files
    [Fact]
    public void Fit_and_Save_leave_no_file_in_the_temp_folder()
    {
        string[] Files() => Directory.GetFiles(Path.GetTempPath(), "interop-*.onnx");
        var before = Files();
        var context = new MLContext(seed: 1);
        using (var model = Pipeline(context).Fit(Iris))
            Saved(context, model, Iris);
        Assert.Empty(Files().Except(before));
    }

    [Fact]
    public void LoadChecked_loads_again_once_when_onnx_runtime_refuses_a_graph()
    {
        var context = new MLContext(seed: 1);
        var model = Pipeline(context).Fit(Iris);
        byte[] zip = Saved(context, model, Iris);
        var refusal = (Exception)Activator.CreateInstance(typeof(OnnxRuntimeException), BindingFlags.Instance | BindingFlags.NonPublic, null,
            [Enum.ToObject(typeof(OnnxRuntimeException).Assembly.GetType("Microsoft.ML.OnnxRuntime.ErrorCode")!, 10), "ORT model verification failed"], null)!;
        int attempts = 0;
        var loaded = ModelFiles.Load(zip, "the stream", stream => ++attempts == 1
            ? throw new InvalidOperationException("Error initializing model", refusal)
            : new MLContext().Model.Load(stream, out _));
        Assert.Equal(2, attempts);
        Assert.Equal(model.Transform(Iris).GetColumn<float[]>("Score").SelectMany(s => s), loaded.Transform(Iris).GetColumn<float[]>("Score").SelectMany(s => s));

        attempts = 0;
        var error = Assert.Throws<InvalidDataException>(() => ModelFiles.Load(zip, "the stream", _ => { attempts++; throw new InvalidOperationException("Error initializing model", refusal); }));
        Assert.Equal(2, attempts);
        Assert.Contains("ORT model verification failed", error.Message);
    }

    // 9. The trainer interface and validation
    [Fact]
    public void The_trainers_are_ITrainerEstimators_and_report_validation_metrics_every_epoch()
    {
        var context = new MLContext(seed: 1);
        var classifier = context.MulticlassClassification.Trainers.EnergyClassifier();
        Assert.IsAssignableFrom<ITrainerEstimator<ISingleFeaturePredictionTransformer<EnergyClassifierModelParameters>, EnergyClassifierModelParameters>>(classifier);
        Assert.False(classifier.Info.NeedNormalization);
        Assert.IsAssignableFrom<ITrainerEstimator<ISingleFeaturePredictionTransformer<ExponentialDecayModelParameters>, ExponentialDecayModelParameters>>(
            context.Regression.Trainers.ExponentialDecay());

        var keyed = context.Transforms.Conversion.MapValueToKey("Label").Fit(Iris).Transform(Iris);
        var split = context.Data.TrainTestSplit(keyed, testFraction: 0.3, seed: 1);
        var model = context.MulticlassClassification.Trainers.EnergyClassifier(new EnergyClassifierTrainer.Options { ValidationSet = split.TestSet }).Fit(split.TrainSet);
        Assert.NotEmpty(model.History);
        Assert.All(model.History, epoch => Assert.InRange(epoch.ValidationAccuracy!.Value, 0.0, 1.0));
        // The model keeps the parameters of its best epoch on the validation rows, and scores them as that epoch did.
        var metrics = context.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        var kept = model.History.MinBy(epoch => Math.Abs(epoch.ValidationLoss!.Value - metrics.LogLoss))!;
        Assert.Equal(kept.ValidationLoss!.Value, metrics.LogLoss, 4);
        Assert.Equal(kept.ValidationAccuracy!.Value, metrics.MicroAccuracy, 6);
        Assert.True(kept.ValidationLoss.Value <= model.History.Min(epoch => epoch.ValidationLoss!.Value) * 1.001);
    }

    [Fact]
    public void Training_progress_reaches_the_MLContext_log()
    {
        var context = new MLContext(seed: 1);
        var messages = new List<string>();
        context.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        Pipeline(context).Fit(Iris);
        Assert.Contains(messages, message => message.Contains("EnergyClassifier: ") && message.Contains("training rows"));
        Assert.Contains(messages, message => message.Contains("EnergyClassifier: epoch 1/100, training loss"));
        Assert.Contains(messages, message => message.Contains("EnergyClassifier: β = ") && message.Contains("epochs"));
    }

    private sealed class TutorialPrediction
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }

    private sealed class PredictedValue
    {
        public float PredictedLabel { get; set; }
    }

    private sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }
}
