using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// Trains the energy-based multiclass classifier (see <see cref="EnergyClassifierTransformer"/>) on a known-size
/// vector feature column of Single or Double and a key-typed label column. The fitted model writes ML.NET's standard
/// multiclass columns, Score (the class posteriors) and PredictedLabel, so
/// <c>mlContext.MulticlassClassification.Evaluate</c> works on its output.
/// Create it with <c>mlContext.MulticlassClassification.Trainers.EnergyClassifier(...)</c>.
/// </summary>
public sealed class EnergyClassifierTrainer : IEstimator<EnergyClassifierTransformer>
{
    internal const string ScoreColumnName = "Score";
    internal const string PredictedLabelColumnName = "PredictedLabel";

    private readonly IHostEnvironment _environment;
    private readonly MLContext _context;
    private readonly Options _options;

    /// <summary>Options of <see cref="EnergyClassifierTrainer"/>.</summary>
    public sealed class Options : ModuleTrainerOptions
    {
        /// <summary>The starting β, the sharpness of the posteriors. Default: 1.</summary>
        public double InitialBeta { get; set; } = 1.0;

        internal override void Validate()
        {
            base.Validate();
            Require(InitialBeta > 0 && double.IsFinite(InitialBeta), nameof(InitialBeta), "positive and finite", InitialBeta);
        }
    }

    internal EnergyClassifierTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        // The scoring chain is built with a context of its own: ML.NET gives no public way from an environment to its catalogs.
        _context = new MLContext(options.Seed);
        _options = options;
    }

    /// <summary>Trains on <paramref name="input"/> and returns the fitted model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message says which.</exception>
    public EnergyClassifierTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var featureType = FeatureColumns.Require(input.Schema, _options.FeatureColumnName);
        var label = ColumnSink.Find(input.Schema, _options.LabelColumnName);
        var classes = ClassValues.Of(label, ClassCount(_options.LabelColumnName, label.Type));

        using var channel = _environment.Start(nameof(EnergyClassifierTrainer));
        var (features, labels) = input.ToTensors(_options.FeatureColumnName, _options.LabelColumnName, new TensorConversionOptions { NaNPolicy = _options.NaNPolicy });
        using (features)
        using (labels)
        {
            if (features.shape[0] == 0)
                throw new InvalidOperationException($"EnergyClassifier: the training data has no rows{(_options.NaNPolicy == NaNPolicy.SkipRow ? " without NaN" : "")}.");
            using var model = EnergyClassifierModule.Initialize(features, labels, classes.Count, _options.InitialBeta);
            channel.Info(MessageSensitivity.None, $"EnergyClassifier: {features.shape[0]} rows, {features.shape[1]} features, {classes.Count} classes.");
            var losses = ModuleTraining.Run(channel, "EnergyClassifier", model.parameters(), features, labels, model.loss, _options);
            model.Canonicalize();
            bool doubleFeatures = FeatureColumns.ItemType(featureType) == NumberDataViewType.Double;
            var onnx = model.ToOnnx(_options.FeatureColumnName, doubleFeatures, classes);
            var scoring = Scoring(onnx, classes).Fit(input);
            channel.Info(MessageSensitivity.None, $"EnergyClassifier: β = {model.beta.ToDouble():G6}.");
            return new EnergyClassifierTransformer(scoring, onnx, _options.FeatureColumnName, featureType, losses,
                model.beta.ToDouble(), model.k.data<float>().ToArray(), Rows(model.mu));
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
        // A schema shape tells neither the key count nor vector sizes, so two classes stand in for any number.
        var classes = ClassValues.Placeholder(label, 2);
        bool doubleFeatures = FeatureColumns.Find(inputSchema, _options.FeatureColumnName).ItemType == NumberDataViewType.Double;
        using var placeholder = EnergyClassifierModule.Placeholder(classes.Count);
        return Scoring(placeholder.ToOnnx(_options.FeatureColumnName, doubleFeatures, classes), classes).GetOutputSchema(inputSchema);
    }

    /// <summary>The stock ML.NET chain that scores: the ONNX graph, then the predicted class value back to the label's key.</summary>
    private IEstimator<ITransformer> Scoring(byte[] onnx, ClassValues classes) =>
        _context.Transforms.ApplyOnnxModel([ScoreColumnName, PredictedLabelColumnName], [_options.FeatureColumnName], new MemoryStream(onnx))
            .Append(_context.Transforms.Conversion.MapValueToKey(PredictedLabelColumnName, keyData: classes.KeyData(_context)));

    private static int ClassCount(string name, DataViewType type) =>
        type is KeyDataViewType key && key.RawType == typeof(uint) && key.Count is >= 2 and <= 100_000
            ? (int)key.Count
            : throw LabelError(name, $"{type}");

    private static ArgumentOutOfRangeException LabelError(string name, string got) => new(nameof(name),
        $"Label column '{name}' must be a key type with 2 or more classes (make one with mlContext.Transforms.Conversion.MapValueToKey(\"{name}\")); got {got}.");

    private static float[][] Rows(Tensor matrix)
    {
        var values = matrix.detach().data<float>().ToArray();
        int columns = (int)matrix.shape[1];
        return Enumerable.Range(0, (int)matrix.shape[0]).Select(row => values.AsSpan(row * columns, columns).ToArray()).ToArray();
    }
}
