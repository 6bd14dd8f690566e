using Interop.Functions;
using Interop.Modules;
using Interop.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Interop.ML;

/// <summary>
/// The energy-based classifier, as a TorchSharp module built on the five maps. Class c has a prototype μ_c and
/// the energy E_c(x) = Σ_i (k_i (x_i − μ_ci))², the squared distance to μ_c in the metric that K (ComponentScaling)
/// learns. Posteriors are Softmax_β over the energies: p_c = exp(−β E_c) / Σ_j exp(−β E_j).
///
/// The loss is the negative log-likelihood of the true class y, written with LogSum at the same β:
///     −log p_y = β E_y + log Σ_j exp(−β E_j) = β (E_y − LogSum_β(E)).
/// The E_y − LogSum_β(E) is this divided by β; it keeps falling as β grows (LogSum_β rises to min E), so it
/// would drive β up without bound and the posteriors to overconfidence. The likelihood instead calibrates β.
///
/// Only β k_i² enters the posteriors, so (β, K) and (β s², K / s) classify alike for any s &gt; 0. After training,
/// <see cref="Canonicalize"/> picks the representative with K ≥ 0 and root-mean-square of K equal to 1, so that
/// β carries the overall sharpness and K the relative weight of each feature.
/// </summary>
internal sealed class EnergyClassifierModule : nn.Module<Tensor, Tensor>
{
    private readonly ComponentScaling scale;
    private readonly Modules.Softmax posterior;
    private readonly Parameter prototypes;

    private EnergyClassifierModule(Tensor prototypes, Tensor k, double beta) : base(nameof(EnergyClassifierModule))
    {
        scale = new ComponentScaling(k);
        posterior = new Modules.Softmax(beta, dtype: k.dtype);
        this.prototypes = new Parameter(prototypes.detach().clone());
        RegisterComponents();
    }

    /// <summary>
    /// Starts from the class means as prototypes (the overall mean for a class without rows), K = 1 / (standard
    /// deviation of each feature) so that every feature starts on the same scale, and β = <paramref name="beta"/>.
    /// </summary>
    public static EnergyClassifierModule Initialize(Tensor features, Tensor labels, int classes, double beta)
    {
        Tensor means, k;
        using (NewDisposeScope())
        {
            var oneHot = nn.functional.one_hot(labels, classes).to(features.dtype);
            var counts = oneHot.sum(dim: 0).unsqueeze(1);
            var overall = features.mean([0], keepdim: true);
            means = where(counts > 0, oneHot.t().matmul(features) / counts.clamp_min(1), overall).MoveToOuterDisposeScope();
            var std = features.std(0);
            k = where(std > 0, std.reciprocal(), ones_like(std)).MoveToOuterDisposeScope();
        }
        // Made outside the scope: the module's parameters must outlive it.
        using (means)
        using (k)
            return new EnergyClassifierModule(means, k, beta);
    }

    /// <summary>A module of the right shape for <paramref name="classes"/> classes and one feature, for schema propagation.</summary>
    public static EnergyClassifierModule Placeholder(int classes) => new(zeros(classes, 1), ones(1), 1.0);

    /// <summary>β.</summary>
    public Parameter beta => posterior.beta;

    /// <summary>K.</summary>
    public Parameter k => scale.k;

    /// <summary>The prototypes μ, one row per class.</summary>
    public Parameter mu => prototypes;

    /// <summary>E [N, C]: the energy of each row of x [N, D] for each class.</summary>
    public Tensor energies(Tensor x) => scale.call(x.unsqueeze(1) - prototypes).square().sum(dim: -1);

    /// <summary>The class posteriors [N, C].</summary>
    public override Tensor forward(Tensor x) => posterior.call(energies(x));

    /// <summary>The mean over the batch of β (E_y − LogSum_β(E)), the negative log-likelihood of the labels (class indices [N]).</summary>
    public Tensor loss(Tensor x, Tensor labels)
    {
        var e = energies(x);
        var trueEnergy = e.gather(1, labels.unsqueeze(1)).squeeze(1);
        return (posterior.beta * (trueEnergy - LogSumFunction.apply(e, posterior.beta))).mean();
    }

    /// <summary>Rescales to K ≥ 0 with root-mean-square 1 and β s², which leaves every posterior as it was.</summary>
    public void Canonicalize()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var s = scale.k.square().mean().sqrt();
        scale.k.abs_().div_(s);
        posterior.beta.mul_(s.square());
    }

    /// <summary>
    /// The scoring graph: input <paramref name="featureColumn"/> [batch, D] (Single, or Double cast to float), outputs
    /// Score [batch, C] (the posteriors, as ML.NET's multiclass Score) and PredictedLabel [batch] (the class value of the
    /// largest posterior).
    /// </summary>
    public byte[] ToOnnx(string featureColumn, bool doubleFeatures, ClassValues classes)
    {
        using var scope = NewDisposeScope();
        long features = prototypes.shape[1], classCount = prototypes.shape[0];
        var graph = new OnnxGraph(nameof(EnergyClassifierModule), ScalarType.Float32);
        var x = graph.FloatInput(featureColumn, doubleFeatures, [-1, features]);
        var offsets = graph.Node("Sub", [graph.Node("Unsqueeze", [x, graph.Constant("axes", [1L])]), graph.Constant("prototypes", prototypes)]);
        var scaled = OnnxMaps.ComponentScaling(graph, offsets, scale.k);
        var squares = graph.Node("Mul", [scaled, scaled]);
        var energy = graph.Node("ReduceSum", [squares, graph.Constant("axes", [-1L])], null, OnnxGraph.Int("keepdims", 0));
        var score = OnnxMaps.Softmax(graph, energy, posterior.beta, EnergyClassifierTrainer.ScoreColumnName);
        var best = graph.Node("ArgMax", [score], null, OnnxGraph.Int("axis", 1), OnnxGraph.Int("keepdims", 0));
        graph.Node("Gather", [classes.Constant(graph), best], EnergyClassifierTrainer.PredictedLabelColumnName, OnnxGraph.Int("axis", 0));
        graph.Output(EnergyClassifierTrainer.ScoreColumnName, DataType.Float, [-1, classCount]);
        graph.Output(EnergyClassifierTrainer.PredictedLabelColumnName, classes.ElementType, [-1]);
        return graph.ToBytes();
    }
}
