using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>
/// A fitted energy-based classifier: class c has prototype μ_c and energy E_c(x) = Σ_i (k_i (x_i − μ_ci))², and
/// Score holds the posteriors p_c = exp(−β E_c) / Σ_j exp(−β E_j). The learned β, K and μ are exposed here;
/// K is reported with root-mean-square 1 (only β k_i² matters, see <see cref="Beta"/>).
/// </summary>
public sealed class EnergyClassifierTransformer : ModuleTransformer
{
    internal EnergyClassifierTransformer(ITransformer scoring, byte[] onnxModel, string featureColumnName, DataViewType featureType,
        IReadOnlyList<double> lossHistory, double beta, float[] k, float[][] prototypes)
        : base(scoring, onnxModel, featureColumnName, featureType, lossHistory)
    {
        Beta = beta;
        K = k;
        Prototypes = prototypes;
    }

    /// <summary>
    /// The learned β, the inverse temperature of the posteriors. Since only β k_i² enters them, K is scaled to
    /// root-mean-square 1 after training and β carries the overall scale.
    /// </summary>
    public double Beta { get; }

    /// <summary>The learned K, one non-negative weight per feature, with root-mean-square 1.</summary>
    public IReadOnlyList<float> K { get; }

    /// <summary>The learned prototypes μ, one row of feature values per class (in key order).</summary>
    public IReadOnlyList<IReadOnlyList<float>> Prototypes { get; }
}
