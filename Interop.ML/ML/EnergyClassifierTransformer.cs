using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>
/// A fitted energy-based classifier: Score holds the posteriors p_c = exp(−β E_c) / Σ_j exp(−β E_j), one per class,
/// and PredictedLabel the most probable class as a key of the label's type. The learned β, K and prototypes are in
/// <see cref="ModuleTransformer{TModel}.Model"/>.
/// </summary>
public sealed class EnergyClassifierTransformer : ModuleTransformer<EnergyClassifierModelParameters>
{
    internal EnergyClassifierTransformer(Microsoft.ML.ITransformer scoring, OnnxModelFile file, byte[] onnxModel,
        string featureColumnName, DataViewType featureType, EnergyClassifierModelParameters model, IReadOnlyList<TrainingEpoch> history)
        : base(scoring, file, onnxModel, featureColumnName, featureType, model, history)
    {
    }
}
