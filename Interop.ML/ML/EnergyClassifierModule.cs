using Interop.Functions;
using Interop.Modules;
using Interop.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Interop.ML;

/// <summary>
/// The energy-based classifier, as a TorchSharp module built on the five maps. Class c has P prototypes μ_cp, each
/// with the energy E_cp(x) = Σ_i (k_i (x_i − μ_cpi))², the squared distance to μ_cp in the metric that K
/// (ComponentScaling) learns. The class's energy is their soft minimum, E_c(x) = LogSum_β over p of E_cp(x), so a
/// class may have several modes; with P = 1 it is the one prototype's energy. Posteriors are Softmax_β over the class
/// energies: p_c = exp(−β E_c) / Σ_j exp(−β E_j) = Σ_p exp(−β E_cp) / Σ_jq exp(−β E_jq).
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
    private const int KMeansIterations = 10;

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
    /// Starts from K = 1 / (standard deviation of each feature), so that every feature starts on one scale, β =
    /// <paramref name="beta"/>, and the prototypes at the class means (P = 1) or, for P &gt; 1, at the centres that
    /// k-means (seeded k-means++, in the K-scaled space) finds in each class's sampled rows.
    /// </summary>
    public static EnergyClassifierModule Initialize(ClassStatistics statistics, int classes, long width, int prototypesPerClass, double beta, int seed)
    {
        Tensor centres, k;
        using (NewDisposeScope())
        {
            k = statistics.InverseStandardDeviations().MoveToOuterDisposeScope();
            var means = statistics.Means();
            var generator = new Generator((ulong)seed);
            var perClass = Enumerable.Range(0, classes)
                .Select(c => prototypesPerClass == 1 ? means[c].unsqueeze(0) : KMeans(statistics.Sample(c, width), means[c], k, prototypesPerClass, generator))
                .ToArray();
            centres = stack(perClass).MoveToOuterDisposeScope();
        }
        // Made outside the scope: the module's parameters must outlive it.
        using (centres)
        using (k)
            return new EnergyClassifierModule(centres, k, beta);
    }

    /// <summary>β.</summary>
    public Parameter beta => posterior.beta;

    /// <summary>K.</summary>
    public Parameter k => scale.k;

    /// <summary>The prototypes μ [C, P, D].</summary>
    public Parameter mu => prototypes;

    /// <summary>
    /// E [N, C, P]: the energy of each row of x [N, D] for each prototype, as |Kx|² − 2 (Kx)·(Kμ) + |Kμ|², which needs
    /// no [N, C, P, D] tensor (clamped at 0 against rounding).
    /// </summary>
    public Tensor prototype_energies(Tensor x)
    {
        var scaledX = scale.call(x);
        var scaledMu = scale.call(prototypes);
        long classes = prototypes.shape[0], perClass = prototypes.shape[1];
        var cross = scaledX.matmul(scaledMu.reshape(classes * perClass, -1).t()).reshape(-1, classes, perClass);
        var energy = (scaledX.pow(HeldScalars.Two).sum(dim: -1).reshape(-1, 1, 1) - cross.mul(HeldScalars.Two)).add(scaledMu.pow(HeldScalars.Two).sum(dim: -1).unsqueeze(0), HeldScalars.One);
        return energy.clamp_min(HeldScalars.Zero);
    }

    /// <summary>E [N, C]: each class's energy, LogSum_β over its prototypes.</summary>
    public Tensor energies(Tensor x)
    {
        var energy = prototype_energies(x);
        return prototypes.shape[1] == 1 ? energy.squeeze(-1) : LogSumFunction.apply(energy, posterior.beta);
    }

    /// <summary>The class posteriors [N, C].</summary>
    public override Tensor forward(Tensor x) => posterior.call(energies(x));

    /// <summary>The mean over the batch of β (E_y − LogSum_β(E)), the negative log-likelihood of the labels (class indices [N]).</summary>
    public Tensor loss(Tensor x, Tensor labels)
    {
        var e = energies(x);
        var trueEnergy = e.gather(1, labels.unsqueeze(1)).squeeze(1);
        return (posterior.beta * (trueEnergy - LogSumFunction.apply(e, posterior.beta))).mean();
    }

    /// <summary>How many rows of x the classifier assigns to their label (the class of least energy).</summary>
    public long correct(Tensor x, Tensor labels) => energies(x).argmin(1).eq(labels).sum().ToInt64();

    /// <summary>Rescales to K ≥ 0 with root-mean-square 1 and β s², which leaves every posterior as it was.</summary>
    public void Canonicalize()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var s = scale.k.pow(HeldScalars.Two).mean().sqrt();
        scale.k.abs_().div_(s);
        posterior.beta.mul_(s.pow(HeldScalars.Two));
    }

    /// <summary>
    /// The scoring graph. Input <paramref name="featureColumn"/>: one row [D] (as ML.NET's OnnxTransformer feeds it) or, with
    /// <paramref name="batched"/>, rows [N, D]; Single, or Double cast to float. Outputs: Score [C] / [N, C], the posteriors;
    /// and either PredictedLabel [N] (batched: the class value of the largest posterior, gathered from
    /// <paramref name="classes"/>) or, unbatched, <paramref name="indexOutput"/> [1], that class's index (int64), which
    /// ML.NET's stock transforms turn into the label's key.
    /// The parameters are the initializers "beta", "k" and "prototypes" [C, P, D], which <see cref="EnergyClassifierModelParameters"/> reads back.
    /// </summary>
    public byte[] ToOnnx(string featureColumn, bool doubleFeatures, bool batched, ClassValues classes, string indexOutput)
    {
        using var scope = NewDisposeScope();
        long features = prototypes.shape[2], classCount = prototypes.shape[0];
        var graph = new OnnxGraph(nameof(EnergyClassifierModule), ScalarType.Float32);
        var x = graph.FloatInput(featureColumn, doubleFeatures, batched ? [-1, features] : [features]);
        var rows = batched ? graph.Node("Reshape", [x, graph.Constant("shape", [-1L, 1, 1, features])]) : x;
        var beta = graph.Parameter("beta", posterior.beta);
        var offsets = graph.Node("Sub", [rows, graph.Parameter("prototypes", prototypes)]);
        var scaled = graph.Node("Mul", [offsets, graph.Parameter("k", scale.k)]);
        var energy = graph.Node("ReduceSumSquare", [scaled], null, OnnxGraph.Ints("axes", -1), OnnxGraph.Int("keepdims", 0));
        var logits = graph.Node("ReduceLogSumExp", [graph.Node("Mul", [energy, graph.Node("Neg", [beta])])], null,
            OnnxGraph.Ints("axes", -1), OnnxGraph.Int("keepdims", 0));
        var score = graph.Node("Softmax", [logits], EnergyClassifierTrainer.ScoreColumnName, OnnxGraph.Int("axis", -1));
        graph.Output(EnergyClassifierTrainer.ScoreColumnName, DataType.Float, batched ? [-1, classCount] : [classCount]);
        if (batched)
        {
            var best = graph.Node("ArgMax", [score], null, OnnxGraph.Int("axis", -1), OnnxGraph.Int("keepdims", 0));
            graph.Node("Gather", [classes.Constant(graph), best], EnergyClassifierTrainer.PredictedLabelColumnName, OnnxGraph.Int("axis", 0));
            graph.Output(EnergyClassifierTrainer.PredictedLabelColumnName, classes.ElementType, [-1]);
        }
        else
        {
            graph.Node("ArgMax", [score], indexOutput, OnnxGraph.Int("axis", -1), OnnxGraph.Int("keepdims", 1));
            graph.Output(indexOutput, DataType.Int64, [1]);
        }
        graph.Metadata(EnergyClassifierModelParameters.OnnxModelKind, nameof(EnergyClassifierModule));
        return graph.ToBytes();
    }

    private static Tensor KMeans(Tensor sample, Tensor mean, Tensor k, int count, Generator generator)
    {
        if (sample.shape[0] == 0)
            return mean.unsqueeze(0).expand(count, -1).clone();
        var points = sample * k;
        var centres = new List<Tensor> { points[randint(0, points.shape[0], [1], generator: generator)].squeeze(0) };
        while (centres.Count < count)
        {
            // k-means++: the next centre is drawn with probability proportional to the squared distance to the nearest one.
            var distances = cdist(points, stack(centres)).min(1).values.pow(HeldScalars.Two);
            var next = distances.sum().ToDouble() > 0
                ? multinomial(distances, 1, generator: generator)
                : randint(0, points.shape[0], [1], generator: generator);
            centres.Add(points[next].squeeze(0));
        }
        var c = stack(centres);
        for (int iteration = 0; iteration < KMeansIterations; iteration++)
        {
            var nearest = cdist(points, c).argmin(1);
            var members = nn.functional.one_hot(nearest, count).to(points.dtype);
            var sizes = members.sum(dim: 0).unsqueeze(1);
            c = where(sizes.gt(HeldScalars.Zero), members.t().matmul(points) / sizes.clamp_min(HeldScalars.One), c);
        }
        return c / k;
    }
}
