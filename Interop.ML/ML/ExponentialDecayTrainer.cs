using Interop.Modules;
using Interop.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Interop.ML;

/// <summary>
/// Fits the decay curve y = k · exp(−β x), an <see cref="Exponential"/> followed by a <see cref="GlobalScaling"/>,
/// by least squares: the feature column holds x (a Single or Double scalar, or a vector of one), the label column y.
/// The fitted model writes Score = k · exp(−β x), a vector of one Single (ONNX outputs reach ML.NET as vectors).
/// Create it with <c>mlContext.Regression.Trainers.ExponentialDecay(...)</c>.
/// </summary>
public sealed class ExponentialDecayTrainer : IEstimator<ExponentialDecayTransformer>
{
    internal const string ScoreColumnName = "Score";

    private readonly IHostEnvironment _environment;
    private readonly MLContext _context;
    private readonly Options _options;

    /// <summary>Options of <see cref="ExponentialDecayTrainer"/>.</summary>
    public sealed class Options : ModuleTrainerOptions
    {
        /// <summary>The starting β, the decay rate. Default: 1.</summary>
        public double InitialBeta { get; set; } = 1.0;

        /// <summary>The starting k, the value at x = 0. Default: 1.</summary>
        public double InitialK { get; set; } = 1.0;

        internal override void Validate()
        {
            base.Validate();
            Require(double.IsFinite(InitialBeta), nameof(InitialBeta), "finite", InitialBeta);
            Require(double.IsFinite(InitialK), nameof(InitialK), "finite", InitialK);
        }
    }

    internal ExponentialDecayTrainer(IHostEnvironment environment, Options options)
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
    public ExponentialDecayTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var featureType = FeatureColumns.Require(input.Schema, _options.FeatureColumnName, width: 1);
        RequireLabel(_options.LabelColumnName, ColumnSink.Find(input.Schema, _options.LabelColumnName).Type);

        using var channel = _environment.Start(nameof(ExponentialDecayTrainer));
        var (x, y) = input.ToTensors(_options.FeatureColumnName, _options.LabelColumnName, new TensorConversionOptions { NaNPolicy = _options.NaNPolicy });
        using var features = x.flatten();
        using var labels = y;
        x.Dispose();
        if (features.shape[0] == 0)
            throw new InvalidOperationException($"ExponentialDecay: the training data has no rows{(_options.NaNPolicy == NaNPolicy.SkipRow ? " without NaN" : "")}.");

        using var exponential = new Exponential(_options.InitialBeta);
        using var scaling = new GlobalScaling(_options.InitialK);
        using var model = nn.Sequential(("exponential", exponential), ("scaling", scaling));
        var losses = ModuleTraining.Run(channel, "ExponentialDecay", model.parameters(), features, labels,
            (batch, target) => nn.functional.mse_loss(model.call(batch), target), _options);
        var onnx = ToOnnx(model, featureType);
        channel.Info(MessageSensitivity.None, $"ExponentialDecay: β = {exponential.beta.ToDouble():G6}, k = {scaling.k.ToDouble():G6}.");
        return new ExponentialDecayTransformer(Scoring(onnx).Fit(input), onnx, _options.FeatureColumnName, featureType, losses,
            exponential.beta.ToDouble(), scaling.k.ToDouble());
    }

    /// <summary>The input schema with the Score column the fitted model adds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message says which.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        FeatureColumns.Require(inputSchema, _options.FeatureColumnName, width: 1);
        var label = FeatureColumns.Find(inputSchema, _options.LabelColumnName);
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar)
            RequireLabel(_options.LabelColumnName, new VectorDataViewType((PrimitiveDataViewType)label.ItemType));
        RequireLabel(_options.LabelColumnName, label.ItemType);
        var feature = FeatureColumns.Find(inputSchema, _options.FeatureColumnName);
        DataViewType featureType = feature.Kind == SchemaShape.Column.VectorKind.Scalar
            ? feature.ItemType
            : new VectorDataViewType((PrimitiveDataViewType)feature.ItemType, 1);
        using var model = nn.Sequential(("exponential", new Exponential()), ("scaling", new GlobalScaling()));
        return Scoring(ToOnnx(model, featureType)).GetOutputSchema(inputSchema);
    }

    /// <summary>The scoring graph: input x named after the feature column ([batch] or [batch, 1]; Double cast to float), output Score.</summary>
    private byte[] ToOnnx(nn.Module<Tensor, Tensor> model, DataViewType featureType)
    {
        var graph = new OnnxGraph(nameof(ExponentialDecayTrainer), ScalarType.Float32);
        long[] shape = featureType is VectorDataViewType ? [-1, 1] : [-1];
        var x = graph.FloatInput(_options.FeatureColumnName, FeatureColumns.ItemType(featureType) == NumberDataViewType.Double, shape);
        OnnxExport.Emit(graph, model, x, ScoreColumnName);
        graph.Output(ScoreColumnName, DataType.Float, shape);
        return graph.ToBytes();
    }

    private IEstimator<ITransformer> Scoring(byte[] onnx) =>
        _context.Transforms.ApplyOnnxModel([ScoreColumnName], [_options.FeatureColumnName], new MemoryStream(onnx));

    private static void RequireLabel(string name, DataViewType type)
    {
        if (!FeatureColumns.IsFloating(type))
            throw new ArgumentOutOfRangeException(nameof(name), $"Label column '{name}' must be a Single or Double scalar; got {type}.");
    }
}
