using Microsoft.ML;
using Onnx;

namespace Interop.ML;

/// <summary>
/// The learned parameters of an energy classifier: class c has prototypes μ_cp (p = 1 … P) and energy
/// E_c(x) = LogSum_β over p of Σ_i (k_i (x_i − μ_cpi))², and the posteriors are Softmax_β over the class energies.
/// K is reported with root-mean-square 1 (only β k_i² matters, see <see cref="Beta"/>). Read them from a fitted
/// transformer (<c>transformer.Model</c>), from any model that contains one, loaded or not (<see cref="FromModel"/>),
/// or from a model zip (<see cref="FromZip(string)"/>): they are read from the ONNX graph the model scores with.
/// </summary>
public sealed class EnergyClassifierModelParameters
{
    internal const string OnnxModelKind = "interop.model";

    internal EnergyClassifierModelParameters(double beta, float[] k, float[] prototypes, int classes, int prototypesPerClass)
    {
        Beta = beta;
        K = k;
        PrototypesPerClass = prototypesPerClass;
        int width = k.Length;
        Prototypes = Enumerable.Range(0, classes).Select(c => (IReadOnlyList<IReadOnlyList<float>>)Enumerable.Range(0, prototypesPerClass)
            .Select(p => (IReadOnlyList<float>)prototypes.AsSpan((c * prototypesPerClass + p) * width, width).ToArray()).ToArray()).ToArray();
    }

    /// <summary>
    /// The learned β, the inverse temperature of the posteriors. Since only β k_i² enters them, K is scaled to
    /// root-mean-square 1 after training and β carries the overall scale.
    /// </summary>
    public double Beta { get; }

    /// <summary>The learned K, one non-negative weight per feature, with root-mean-square 1.</summary>
    public IReadOnlyList<float> K { get; }

    /// <summary>P, the number of prototypes of each class.</summary>
    public int PrototypesPerClass { get; }

    /// <summary>The learned prototypes: [class (in key order)][prototype][feature].</summary>
    public IReadOnlyList<IReadOnlyList<IReadOnlyList<float>>> Prototypes { get; }

    /// <summary>The parameters of the energy classifier in <paramref name="model"/>: a fitted pipeline, or one loaded from a zip.</summary>
    /// <exception cref="InvalidDataException">The model holds no energy classifier, or more than one.</exception>
    public static EnergyClassifierModelParameters FromModel(ITransformer model) =>
        model is EnergyClassifierTransformer trained ? trained.Model
        : model is IEnumerable<ITransformer> chain && chain.OfType<EnergyClassifierTransformer>().ToList() is [var only] ? only.Model
        : FromGraph(SavedOnnxGraphs.Find(model, OnnxModelKind, GraphName));

    /// <summary>The parameters of the energy classifier in the model zip at <paramref name="path"/>, without loading the model.</summary>
    /// <exception cref="InvalidDataException">The zip holds no energy classifier, or more than one.</exception>
    public static EnergyClassifierModelParameters FromZip(string path) => FromGraph(SavedOnnxGraphs.Find(path, OnnxModelKind, GraphName));

    /// <summary>The parameters of the energy classifier in a model zip read from <paramref name="zip"/>.</summary>
    public static EnergyClassifierModelParameters FromZip(Stream zip) => FromGraph(SavedOnnxGraphs.Find(zip, "the stream", OnnxModelKind, GraphName));

    private const string GraphName = nameof(EnergyClassifierModule);

    private static EnergyClassifierModelParameters FromGraph(ModelProto model)
    {
        var (beta, _) = SavedOnnxGraphs.Parameter(model, "beta");
        var (k, _) = SavedOnnxGraphs.Parameter(model, "k");
        var (prototypes, shape) = SavedOnnxGraphs.Parameter(model, "prototypes");
        return new EnergyClassifierModelParameters(beta[0], k, prototypes, (int)shape[0], (int)shape[1]);
    }
}
