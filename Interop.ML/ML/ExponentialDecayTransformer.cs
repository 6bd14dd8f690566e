using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>A fitted decay curve: Score = k · exp(−β x), a scalar Single; the learned β and k are in <see cref="ModuleTransformer{TModel}.Model"/>.</summary>
public sealed class ExponentialDecayTransformer : ModuleTransformer<ExponentialDecayModelParameters>
{
    internal ExponentialDecayTransformer(Microsoft.ML.ITransformer scoring, OnnxModelFile file, byte[] onnxModel, string featureColumnName,
        DataViewType featureType, ExponentialDecayModelParameters model, IReadOnlyList<TrainingEpoch> history)
        : base(scoring, file, onnxModel, featureColumnName, featureType, model, history)
    {
    }
}
