using Microsoft.ML;
using Onnx;

namespace Interop.ML;

/// <summary>
/// The learned parameters of a decay curve y = k · exp(−β x). Read them from a fitted transformer
/// (<c>transformer.Model</c>), from any model that contains one, loaded or not (<see cref="FromModel"/>), or from a
/// model zip (<see cref="FromZip(string)"/>): they are read from the ONNX graph the model scores with.
/// </summary>
public sealed class ExponentialDecayModelParameters
{
    internal const string GraphName = nameof(ExponentialDecayTrainer);

    internal ExponentialDecayModelParameters(double beta, double k)
    {
        Beta = beta;
        K = k;
    }

    /// <summary>The learned decay rate β.</summary>
    public double Beta { get; }

    /// <summary>The learned scale k, the curve's value at x = 0.</summary>
    public double K { get; }

    /// <summary>The parameters of the decay curve in <paramref name="model"/>: a fitted pipeline, or one loaded from a zip.</summary>
    /// <exception cref="InvalidDataException">The model holds no decay curve, or more than one.</exception>
    public static ExponentialDecayModelParameters FromModel(ITransformer model) =>
        model is ExponentialDecayTransformer trained ? trained.Model
        : model is IEnumerable<ITransformer> chain && chain.OfType<ExponentialDecayTransformer>().ToList() is [var only] ? only.Model
        : FromGraph(SavedOnnxGraphs.Find(model, EnergyClassifierModelParameters.OnnxModelKind, GraphName));

    /// <summary>The parameters of the decay curve in the model zip at <paramref name="path"/>, without loading the model.</summary>
    /// <exception cref="InvalidDataException">The zip holds no decay curve, or more than one.</exception>
    public static ExponentialDecayModelParameters FromZip(string path) =>
        FromGraph(SavedOnnxGraphs.Find(path, EnergyClassifierModelParameters.OnnxModelKind, GraphName));

    /// <summary>The parameters of the decay curve in a model zip read from <paramref name="zip"/>.</summary>
    public static ExponentialDecayModelParameters FromZip(Stream zip) =>
        FromGraph(SavedOnnxGraphs.Find(zip, "the stream", EnergyClassifierModelParameters.OnnxModelKind, GraphName));

    private static ExponentialDecayModelParameters FromGraph(ModelProto model) =>
        new(SavedOnnxGraphs.Parameter(model, "beta").Values[0], SavedOnnxGraphs.Parameter(model, "k").Values[0]);
}
