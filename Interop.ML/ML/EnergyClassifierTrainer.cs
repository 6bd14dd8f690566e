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

    /// <summary>The fewest rows of its class per prototype that the automatic choice of P allows.</summary>
    private const int RowsPerPrototype = 40;

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
        /// several modes. Default (null): 1 when the smallest class has fewer than 80 rows; otherwise chosen for each Fit
        /// among 1 … 3 (at most one prototype per 40 rows of the smallest class) by the loss on a held-out fifth of the
        /// training rows, and then trained on every row. By measurement (docs/ml-comparison.md) no fixed P is within a
        /// point of the best stock trainer on all four data sets: 1 is 1.3 points short on Digits, 2 and 3 up to 4 points on Iris.
        /// </summary>
        public int? PrototypesPerClass { get; set; }

        internal override void Validate()
        {
            base.Validate();
            Require(InitialBeta is null || (InitialBeta > 0 && double.IsFinite(InitialBeta.Value)), nameof(InitialBeta), "positive and finite, or null", InitialBeta);
            Require(PrototypesPerClass is null or (>= 1 and <= 1000), nameof(PrototypesPerClass), "in [1, 1000] or null", PrototypesPerClass);
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
        int prototypes = _options.PrototypesPerClass ?? ChoosePrototypes(input, classCount, width, seed, channel, check);
        using var statistics = new ClassStatistics(classCount, prototypes, seed);
        var (train, validation) = _host.ReadRows(input, _options, _options.HoldOutFraction, seed, statistics.Observe, check);
        using (train)
        using (validation)
        using (var model = EnergyClassifierModule.Initialize(statistics, classCount, width, prototypes, _options.InitialBeta ?? 1.0 / width, seed))
        {
            channel.Info(MessageSensitivity.None, $"EnergyClassifier: {width} features, {classCount} classes, {prototypes} prototypes per class.");
            var history = Train(model, train, validation, seed, channel, check, _options.EpochLossCallback);
            model.Canonicalize();
            var parameters = new EnergyClassifierModelParameters(model.beta.ToDouble(), model.k.data<float>().ToArray(),
                model.mu.data<float>().ToArray(), classCount, prototypes);
            channel.Info(MessageSensitivity.None, $"EnergyClassifier: β = {parameters.Beta:G6} after {history.Count} epochs.");
            bool doubleFeatures = FeatureColumns.ItemType(featureType) == NumberDataViewType.Double;
            var onnx = model.ToOnnx(_options.FeatureColumnName, doubleFeatures, batched: false, classes, PredictedLabelColumnName);
            var batchedOnnx = model.ToOnnx(_options.FeatureColumnName, doubleFeatures, batched: true, classes, PredictedLabelColumnName);
            var file = new OnnxModelFile(onnx);
            try
            {
                var scoring = file.While(path => Scoring(path, classes, classCount).Fit(input));
                return new EnergyClassifierTransformer(scoring, file, batchedOnnx, _options.FeatureColumnName, featureType, parameters, history);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// The P whose model, trained on four fifths of the rows, has the least loss on the other fifth, among 1 … 3 with at
    /// least <see cref="RowsPerPrototype"/> rows of the smallest class (in those four fifths) for each prototype.
    /// </summary>
    private int ChoosePrototypes(IDataView input, int classCount, long width, int seed, IChannel channel, Action check)
    {
        const double heldOutFraction = 0.2;
        const int maxPrototypes = 3;
        using var statistics = new ClassStatistics(classCount, maxPrototypes, seed);
        var (train, heldOut) = _host.ReadRows(input, _options, heldOutFraction, seed, statistics.Observe, check);
        using (train)
        using (heldOut)
        {
            int[] candidates = Enumerable.Range(1, (int)Math.Clamp(statistics.SmallestClass / RowsPerPrototype, 1, maxPrototypes)).ToArray();
            if (candidates.Length == 1 || heldOut is not { Count: > 0 })
                return 1;
            var losses = candidates.Select(prototypes =>
            {
                using var model = EnergyClassifierModule.Initialize(statistics, classCount, width, prototypes, _options.InitialBeta ?? 1.0 / width, seed);
                return Train(model, train, heldOut, seed, channel, check, null).Min(epoch => epoch.ValidationLoss!.Value);
            }).ToArray();
            int chosen = candidates[Array.IndexOf(losses, losses.Min())];
            channel.Info(MessageSensitivity.None,
                $"EnergyClassifier: held-out loss {string.Join(", ", candidates.Zip(losses, (p, loss) => $"{loss:G4} with P = {p}"))}; choosing P = {chosen}.");
            return chosen;
        }
    }

    private IReadOnlyList<TrainingEpoch> Train(EnergyClassifierModule model, TrainingRows train, TrainingRows? validation, int seed, IChannel channel,
        Action check, Action<int, double>? epochCallback) =>
        ModuleTraining.Run(_host.Host, channel, _options, seed, train, validation,
            new ModuleTraining.Model("EnergyClassifier", model.parameters().ToArray(), model.loss, model.correct, model.mu.shape[0] * model.mu.shape[1] + model.mu.shape[2]),
            check, epochCallback);

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
