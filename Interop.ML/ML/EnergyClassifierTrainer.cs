using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// Trains the energy-based multiclass classifier (see <see cref="EnergyClassifierModelParameters"/>) on a known-size
/// vector feature column of Single or Double and a key-typed label column. The fitted model writes ML.NET's standard
/// multiclass columns: Score, a vector with one posterior per class, and PredictedLabel, a scalar key of the label's
/// key type (with its key values), so <c>Evaluate</c>, <c>CrossValidate</c>, <c>PermutationFeatureImportance</c>,
/// <c>MapKeyToValue</c> and a POCO with <c>uint PredictedLabel; float[] Score</c> work on its output.
/// Create it with <c>mlContext.MulticlassClassification.Trainers.EnergyClassifier(...)</c>.
/// </summary>
public sealed class EnergyClassifierTrainer : ITrainerEstimator<EnergyClassifierTransformer, EnergyClassifierModelParameters>
{
    internal const string ScoreColumnName = "Score";
    internal const string PredictedLabelColumnName = "PredictedLabel";

    private readonly TrainerHost _host;
    private readonly MLContext _context = new();
    private readonly Options _options;

    /// <summary>Options of <see cref="EnergyClassifierTrainer"/>.</summary>
    public sealed class Options : ModuleTrainerOptions
    {
        /// <summary>The starting β, the sharpness of the posteriors. Default (null): 1 / (number of features).</summary>
        public double? InitialBeta { get; set; }

        /// <summary>
        /// P, the prototypes of each class, combined by LogSum_β into the class's energy; more than one lets a class have
        /// several modes. Default: 1 (chosen by measurement, see docs/ml-comparison.md).
        /// </summary>
        public int PrototypesPerClass { get; set; } = 1;

        internal override void Validate()
        {
            base.Validate();
            Require(InitialBeta is null || (InitialBeta > 0 && double.IsFinite(InitialBeta.Value)), nameof(InitialBeta), "positive and finite, or null", InitialBeta);
            Require(PrototypesPerClass is >= 1 and <= 1000, nameof(PrototypesPerClass), "in [1, 1000]", PrototypesPerClass);
        }
    }

    /// <summary>A trainer that logs to, seeds from and is cancelled by <paramref name="environment"/> (an MLContext).</summary>
    public EnergyClassifierTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _host = new TrainerHost(environment, nameof(EnergyClassifierTrainer));
        _options = options;
    }

    /// <summary>It needs no normalisation (K starts at 1 / standard deviation of each feature) and reads the data several times.</summary>
    public TrainerInfo Info { get; } = MlNetInternals.TrainerInfo(needNormalization: false, wantCaching: true);

    /// <summary>Trains on <paramref name="input"/> and returns the fitted model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message says which.</exception>
    /// <exception cref="OperationCanceledException">Options.CancellationToken or the MLContext cancelled training.</exception>
    public EnergyClassifierTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var featureType = FeatureColumns.Require(input.Schema, _options.FeatureColumnName);
        var label = ColumnSink.Find(input.Schema, _options.LabelColumnName);
        int classCount = ClassCount(_options.LabelColumnName, label.Type);
        var classes = ClassValues.Of(label, classCount);
        if (_options.ValidationSet is { } validationSet)
        {
            RequireSame(validationSet.Schema, _options.FeatureColumnName, featureType);
            RequireSame(validationSet.Schema, _options.LabelColumnName, label.Type);
        }

        using var channel = _host.Host.Start(nameof(EnergyClassifierTrainer));
        int seed = _host.Seed(_options.Seed);
        var check = _host.Check(_options.CancellationToken);
        long width = ((VectorDataViewType)featureType).Size;
        using var statistics = new ClassStatistics(classCount, _options.PrototypesPerClass, seed);
        var (train, validation) = _host.ReadRows(input, _options, seed, statistics.Observe, check);
        using (train)
        using (validation)
        using (var model = EnergyClassifierModule.Initialize(statistics, classCount, width, _options.PrototypesPerClass, _options.InitialBeta ?? 1.0 / width, seed))
        {
            channel.Info(MessageSensitivity.None, $"EnergyClassifier: {width} features, {classCount} classes, {_options.PrototypesPerClass} prototypes per class.");
            var history = ModuleTraining.Run(_host.Host, channel, _options, seed, train, validation,
                new ModuleTraining.Model("EnergyClassifier", model.parameters().ToArray(), model.loss, model.correct, classCount * _options.PrototypesPerClass + width),
                check);
            model.Canonicalize();
            var parameters = new EnergyClassifierModelParameters(model.beta.ToDouble(), model.k.data<float>().ToArray(),
                model.mu.data<float>().ToArray(), classCount, _options.PrototypesPerClass);
            channel.Info(MessageSensitivity.None, $"EnergyClassifier: β = {parameters.Beta:G6} after {history.Count} epochs.");
            bool doubleFeatures = FeatureColumns.ItemType(featureType) == NumberDataViewType.Double;
            var onnx = model.ToOnnx(_options.FeatureColumnName, doubleFeatures, batched: false, classes, PredictedLabelColumnName);
            var batchedOnnx = model.ToOnnx(_options.FeatureColumnName, doubleFeatures, batched: true, classes, PredictedLabelColumnName);
            var file = new OnnxModelFile(onnx);
            try
            {
                var scoring = file.While(path => Scoring(path, classes, classCount).Fit(input));
                return new EnergyClassifierTransformer(scoring, file, onnx, batchedOnnx, _options.FeatureColumnName, featureType, parameters, history);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
    }

    /// <summary>The input schema with the Score and PredictedLabel columns the fitted model adds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message says which.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        FeatureColumns.Require(inputSchema, _options.FeatureColumnName);
        var label = FeatureColumns.Find(inputSchema, _options.LabelColumnName);
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !label.IsKey)
            throw LabelError(_options.LabelColumnName, FeatureColumns.Describe(label));
        // SchemaShape's columns have no public constructor; stock estimators describe the two columns: Score is a
        // known-size vector of Single (as the features are a known-size vector), PredictedLabel has the label's key type.
        return _context.Transforms.CopyColumns(ScoreColumnName, _options.FeatureColumnName)
            .Append(_context.Transforms.Conversion.ConvertType(ScoreColumnName, outputKind: DataKind.Single))
            .Append(_context.Transforms.CopyColumns(PredictedLabelColumnName, _options.LabelColumnName))
            .GetOutputSchema(inputSchema);
    }

    /// <summary>
    /// The stock ML.NET chain that scores: the ONNX graph (Score, and the predicted class's index as a vector of one,
    /// since ONNX outputs reach ML.NET as vectors), then Hash with Combine (the one stock transform that turns a
    /// vector into a scalar, here the index into a scalar key that differs for every class), MapValue from those keys
    /// to the class values, and MapValueToKey with the classes as key data, which gives the label's key type.
    /// </summary>
    private IEstimator<ITransformer> Scoring(string onnxFile, ClassValues classes, int classCount)
    {
        var (hashing, keys) = DistinctKeys(classCount);
        var lookup = classes.Lookup(_context, keys);
        return _context.Transforms.ApplyOnnxModel([ScoreColumnName, PredictedLabelColumnName], [_options.FeatureColumnName], onnxFile)
            .Append(_context.Transforms.Conversion.Hash([hashing]))
            .Append(_context.Transforms.Conversion.MapValue(PredictedLabelColumnName, lookup, lookup.Schema["Key"], lookup.Schema["Value"], PredictedLabelColumnName))
            .Append(_context.Transforms.Conversion.MapValueToKey(PredictedLabelColumnName, keyData: classes.KeyData(_context)));
    }

    /// <summary>Hash options under which the class indices 0 … C − 1 get C different keys, and those keys.</summary>
    private (HashingEstimator.ColumnOptions Options, uint[] Keys) DistinctKeys(int classCount)
    {
        var indices = _context.Data.LoadFromEnumerable(Enumerable.Range(0, classCount).Select(c => new ClassIndex { PredictedLabel = [c] }));
        for (uint seed = 0; ; seed++)
        {
            var options = new HashingEstimator.ColumnOptions(PredictedLabelColumnName, PredictedLabelColumnName, numberOfBits: 31, seed: seed, useOrderedHashing: false, combine: true);
            var keys = _context.Transforms.Conversion.Hash([options]).Fit(indices).Transform(indices).GetColumn<uint>(PredictedLabelColumnName).ToArray();
            if (keys.Distinct().Count() == classCount)
                return (options, keys);
        }
    }

    private static void RequireSame(DataViewSchema schema, string column, DataViewType type)
    {
        var got = ColumnSink.Find(schema, column).Type;
        if (!got.Equals(type))
            throw new ArgumentOutOfRangeException(nameof(Options.ValidationSet),
                $"Options.ValidationSet: column '{column}' must be {type}, as in the training data; got {got}.");
    }

    private static int ClassCount(string name, DataViewType type) =>
        type is KeyDataViewType key && key.RawType == typeof(uint) && key.Count is >= 2 and <= 100_000
            ? (int)key.Count
            : throw LabelError(name, $"{type}");

    private static ArgumentOutOfRangeException LabelError(string name, string got) => new(nameof(name),
        $"Label column '{name}' must be a key type with 2 or more classes (make one with mlContext.Transforms.Conversion.MapValueToKey(\"{name}\")); got {got}.");

    private sealed class ClassIndex
    {
        [VectorType(1)]
        public long[] PredictedLabel { get; set; } = [];
    }
}
