using Interop.Modules;
using Interop.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Interop.ML;

/// <summary>
/// Fits the decay curve y = k · exp(−β x), an <see cref="Exponential"/> followed by a <see cref="GlobalScaling"/>,
/// by least squares: the feature column holds x (a Single or Double scalar, or a vector of one), the label column y.
/// The fitted model writes ML.NET's standard regression column, a scalar Single Score = k · exp(−β x), so
/// <c>Regression.Evaluate</c>, <c>Regression.CrossValidate</c> and a POCO with <c>float Score</c> work on its output.
/// Create it with <c>mlContext.Regression.Trainers.ExponentialDecay(...)</c>.
/// </summary>
public sealed class ExponentialDecayTrainer : ITrainerEstimator<ExponentialDecayTransformer, ExponentialDecayModelParameters>
{
    internal const string ScoreColumnName = "Score";

    private readonly TrainerHost _host;
    private readonly MLContext _context = new();
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

    /// <summary>A trainer that logs to, seeds from and is cancelled by <paramref name="environment"/> (an MLContext).</summary>
    public ExponentialDecayTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _host = new TrainerHost(environment, nameof(ExponentialDecayTrainer));
        _options = options;
    }

    /// <summary>It needs no normalisation and reads the data several times.</summary>
    public TrainerInfo Info { get; } = MlNetInternals.TrainerInfo(needNormalization: false, wantCaching: true);

    /// <summary>Trains on <paramref name="input"/> and returns the fitted model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message says which.</exception>
    /// <exception cref="OperationCanceledException">Options.CancellationToken or the MLContext cancelled training.</exception>
    public ExponentialDecayTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var featureType = FeatureColumns.Require(input.Schema, _options.FeatureColumnName, width: 1);
        RequireLabel(_options.LabelColumnName, ColumnSink.Find(input.Schema, _options.LabelColumnName).Type);

        using var channel = _host.Host.Start(nameof(ExponentialDecayTrainer));
        int seed = _host.Seed(_options.Seed);
        var check = _host.Check(_options.CancellationToken);
        var (train, validation) = _host.ReadRows(input, _options, _options.HoldOutFraction, seed, null, check);
        using (train)
        using (validation)
        using (var exponential = new Exponential(_options.InitialBeta))
        using (var scaling = new GlobalScaling(_options.InitialK))
        using (var model = nn.Sequential(("exponential", exponential), ("scaling", scaling)))
        {
            Tensor Loss(Tensor x, Tensor y) => nn.functional.mse_loss(model.call(x.flatten()), y);
            var history = ModuleTraining.Run(_host.Host, channel, _options, seed, train, validation,
                new ModuleTraining.Model("ExponentialDecay", model.parameters().ToArray(), Loss, null, 1), check, _options.EpochLossCallback);
            var parameters = new ExponentialDecayModelParameters(exponential.beta.ToDouble(), scaling.k.ToDouble());
            channel.Info(MessageSensitivity.None, $"ExponentialDecay: β = {parameters.Beta:G6}, k = {parameters.K:G6} after {history.Count} epochs.");
            var onnx = ToOnnx(exponential, scaling, featureType, batched: false);
            var file = new OnnxModelFile(onnx);
            try
            {
                var scoring = file.While(path =>
                {
                    var graph = _context.Transforms.ApplyOnnxModel([ScoreColumnName], [_options.FeatureColumnName], path).Fit(input);
                    var scalar = MlNetInternals.ScalarScore(_host.Host, graph.GetOutputSchema(input.Schema), ScoreColumnName);
                    return new TransformerChain<ITransformer>(graph, scalar);
                });
                return new ExponentialDecayTransformer(scoring, file, ToOnnx(exponential, scaling, featureType, batched: true), _options.FeatureColumnName, featureType, parameters, history);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
    }

    /// <summary>The input schema with the scalar Score column the fitted model adds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message says which.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        FeatureColumns.Require(inputSchema, _options.FeatureColumnName, width: 1);
        var label = FeatureColumns.Find(inputSchema, _options.LabelColumnName);
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar)
            RequireLabel(_options.LabelColumnName, new VectorDataViewType((PrimitiveDataViewType)label.ItemType));
        RequireLabel(_options.LabelColumnName, label.ItemType);
        // SchemaShape's columns have no public constructor; stock estimators describe Score, a Single scalar like the label.
        return _context.Transforms.CopyColumns(ScoreColumnName, _options.LabelColumnName)
            .Append(_context.Transforms.Conversion.ConvertType(ScoreColumnName, outputKind: DataKind.Single))
            .GetOutputSchema(inputSchema);
    }

    /// <summary>
    /// The scoring graph: input x named after the feature column, one row [1] (as ML.NET's OnnxTransformer feeds it)
    /// or, with <paramref name="batched"/>, rows [N, 1] (Double cast to float); output Score of the same shape,
    /// k · exp(−β x), with the parameters as the initializers "beta" and "k".
    /// </summary>
    private byte[] ToOnnx(Exponential exponential, GlobalScaling scaling, DataViewType featureType, bool batched)
    {
        long[] shape = batched ? [-1, 1] : [1];
        var graph = new OnnxGraph(nameof(ExponentialDecayTrainer), ScalarType.Float32);
        var x = graph.FloatInput(_options.FeatureColumnName, FeatureColumns.ItemType(featureType) == NumberDataViewType.Double, shape);
        var decay = graph.Node("Exp", [graph.Node("Mul", [x, graph.Node("Neg", [graph.Parameter("beta", exponential.beta)])])]);
        graph.Node("Mul", [decay, graph.Parameter("k", scaling.k)], ScoreColumnName);
        graph.Output(ScoreColumnName, DataType.Float, shape);
        graph.Metadata(EnergyClassifierModelParameters.OnnxModelKind, ExponentialDecayModelParameters.GraphName);
        return graph.ToBytes();
    }

    private static void RequireLabel(string name, DataViewType type)
    {
        if (!FeatureColumns.IsFloating(type))
            throw new ArgumentOutOfRangeException(nameof(name), $"Label column '{name}' must be a Single or Double scalar; got {type}.");
    }
}
