using Google.Protobuf;
using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;
using Onnx;

namespace Interop.Onnx;

/// <summary>
/// Exports a whole fitted pipeline that ends in one of this library's trainers to one ONNX model. ML.NET's
/// <c>mlContext.Model.ConvertToOnnx</c> cannot export the trainer (an outside transformer has no way into ML.NET's ONNX
/// converter), so this exports the transformers before it with ML.NET's converter, normalisers and key mappings
/// included, and joins the trainer's own graph to the output of that part for the feature column.
/// </summary>
public static class OnnxPipelines
{
    private const string OutputSuffix = ".output";
    private const string Prefix = "interop.";

    /// <summary>
    /// Writes <paramref name="model"/>, a fitted pipeline whose last transformer is an
    /// <see cref="EnergyClassifierTransformer"/> or an <see cref="ExponentialDecayTransformer"/>, to
    /// <paramref name="stream"/> as one ONNX model. Its inputs are the pipeline's input columns (named as ML.NET's
    /// converter names them, batch dimension first); its outputs are those of ML.NET's converter for the columns the
    /// earlier transformers make ("Features.output", …) and the trainer's, "Score.output" and, for the classifier,
    /// "PredictedLabel.output" (the class values). <paramref name="inputData"/> gives the input schema, as for ConvertToOnnx.
    /// </summary>
    /// <exception cref="ArgumentException">The pipeline does not end in a trainer of this library, or holds another one before it.</exception>
    public static void ConvertPipelineToOnnx(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(inputData);
        ArgumentNullException.ThrowIfNull(stream);
        var transformers = Flatten(model ?? throw new ArgumentNullException(nameof(model))).ToList();
        if (transformers.Count == 0 || !IsTrained(transformers[^1]))
            throw new ArgumentException("ConvertPipelineToOnnx: the model's last transformer must be an EnergyClassifierTransformer or an ExponentialDecayTransformer; " +
                $"got {(transformers.Count == 0 ? "an empty chain" : transformers[^1].GetType().Name)}. For other models use mlContext.Model.ConvertToOnnx.", nameof(model));
        if (transformers.Take(transformers.Count - 1).FirstOrDefault(IsTrained) is { } earlier)
            throw new ArgumentException($"ConvertPipelineToOnnx: only the last transformer may be one of this library's; found a {earlier.GetType().Name} before it.", nameof(model));

        var (onnx, featureColumn) = transformers[^1] switch
        {
            EnergyClassifierTransformer classifier => (classifier.OnnxModel, classifier.FeatureColumnName),
            ExponentialDecayTransformer decay => (decay.OnnxModel, decay.FeatureColumnName),
            _ => throw new InvalidOperationException("unreachable: checked above"),
        };
        var trained = ModelProto.Parser.ParseFrom(onnx.Span);
        if (transformers.Count == 1)
        {
            Rename(trained.Graph, featureColumn, featureColumn);
            trained.WriteTo(stream);
            return;
        }
        using var converted = new MemoryStream();
        catalog.ConvertToOnnx(new TransformerChain<ITransformer>(transformers.Take(transformers.Count - 1).ToArray()), inputData, converted);
        var pipeline = ModelProto.Parser.ParseFrom(converted.ToArray());
        string features = featureColumn + OutputSuffix;
        if (!pipeline.Graph.Output.Any(output => output.Name == features))
            throw new ArgumentException($"ConvertPipelineToOnnx: ML.NET's ONNX export of the transformers before the trainer has no output '{features}' for the feature column.", nameof(model));
        Join(pipeline, trained, features);
        pipeline.WriteTo(stream);
    }

    private static bool IsTrained(ITransformer transformer) => transformer is EnergyClassifierTransformer or ExponentialDecayTransformer;

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    /// <summary>Adds the trained graph's nodes, parameters and outputs to <paramref name="pipeline"/>, its input fed by <paramref name="features"/>.</summary>
    private static void Join(ModelProto pipeline, ModelProto trained, string features)
    {
        var graph = trained.Graph;
        Rename(graph, graph.Input.Single().Name, features);
        pipeline.Graph.Node.AddRange(graph.Node);
        pipeline.Graph.Initializer.AddRange(graph.Initializer);
        pipeline.Graph.Output.AddRange(graph.Output);
        pipeline.MetadataProps.AddRange(trained.MetadataProps);
        pipeline.IrVersion = Math.Max(pipeline.IrVersion, trained.IrVersion);
        foreach (var opset in trained.OpsetImport)
        {
            var same = pipeline.OpsetImport.FirstOrDefault(existing => existing.Domain == opset.Domain);
            if (same is null)
                pipeline.OpsetImport.Add(opset.Clone());
            else
                same.Version = Math.Max(same.Version, opset.Version);
        }
    }

    /// <summary>
    /// Gives every value, node and parameter of <paramref name="graph"/> a name of its own ("interop." first), feeds its
    /// input from <paramref name="input"/>, and names its outputs as ML.NET's converter names columns ("Score.output").
    /// </summary>
    private static void Rename(GraphProto graph, string oldInput, string input)
    {
        var outputs = graph.Output.Select(output => output.Name).ToHashSet();
        string Name(string name) => name == oldInput ? input : outputs.Contains(name) ? name + OutputSuffix : Prefix + name;
        foreach (var node in graph.Node)
        {
            node.Name = Prefix + node.Name;
            for (int i = 0; i < node.Input.Count; i++)
                node.Input[i] = Name(node.Input[i]);
            for (int i = 0; i < node.Output.Count; i++)
                node.Output[i] = Name(node.Output[i]);
        }
        foreach (var initializer in graph.Initializer)
            initializer.Name = Name(initializer.Name);
        foreach (var output in graph.Output)
            output.Name = Name(output.Name);
        foreach (var value in graph.Input)
            value.Name = Name(value.Name);
    }
}
