using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>A fitted decay curve y = k · exp(−β x), with the learned β and k.</summary>
public sealed class ExponentialDecayTransformer : ModuleTransformer
{
    internal ExponentialDecayTransformer(ITransformer scoring, byte[] onnxModel, string featureColumnName, DataViewType featureType,
        IReadOnlyList<double> lossHistory, double beta, double k)
        : base(scoring, onnxModel, featureColumnName, featureType, lossHistory)
    {
        Beta = beta;
        K = k;
    }

    /// <summary>The learned decay rate β.</summary>
    public double Beta { get; }

    /// <summary>The learned scale k, the curve's value at x = 0.</summary>
    public double K { get; }
}
