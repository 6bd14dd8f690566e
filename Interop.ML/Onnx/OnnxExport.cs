using Interop.Modules;
using TorchSharp;
using Sequential = TorchSharp.Modules.Sequential;
using static TorchSharp.torch;

namespace Interop.Onnx;

/// <summary>
/// Exports one of the five modules, or an <c>nn.Sequential</c> of them, with its current parameters, to ONNX, in the
/// manner of PyTorch's <c>torch.onnx.export</c>. The graph has one input and one output; for an input of rank 2 or
/// more, the first dimension is the batch dimension and is left free.
/// </summary>
public static class OnnxExport
{
    /// <summary>Exports <paramref name="model"/> to the ONNX file <paramref name="f"/>.</summary>
    /// <param name="model">Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum, or an nn.Sequential of them.</param>
    /// <param name="args">An example input: it fixes the dtype (float32 or float64) and the shape (batch dimension aside).</param>
    /// <param name="f">The path of the .onnx file to write.</param>
    /// <param name="input_name">The name of the graph's input.</param>
    /// <param name="output_name">The name of the graph's output.</param>
    /// <exception cref="ArgumentException">The model contains a module that cannot be exported, or the input is not floating-point.</exception>
    public static void export(nn.Module<Tensor, Tensor> model, Tensor args, string f, string input_name = "input", string output_name = "output") =>
        File.WriteAllBytes(f, to_bytes(model, args, input_name, output_name));

    /// <summary>Exports <paramref name="model"/> to ONNX protobuf bytes; see <see cref="export"/>.</summary>
    /// <param name="model">Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum, or an nn.Sequential of them.</param>
    /// <param name="args">An example input: it fixes the dtype (float32 or float64) and the shape (batch dimension aside).</param>
    /// <param name="input_name">The name of the graph's input.</param>
    /// <param name="output_name">The name of the graph's output.</param>
    public static byte[] to_bytes(nn.Module<Tensor, Tensor> model, Tensor args, string input_name = "input", string output_name = "output")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(args);
        using var scope = NewDisposeScope();
        long[] outputShape;
        using (no_grad())
            outputShape = model.call(args).shape;
        var graph = new OnnxGraph(model.GetName(), args.dtype);
        bool batched = args.dim() >= 2;
        graph.Input(input_name, graph.ElementType, FreeBatch(args.shape, batched));
        Emit(graph, model, input_name, output_name);
        graph.Output(output_name, graph.ElementType, FreeBatch(outputShape, batched));
        return graph.ToBytes();
    }

    private static long[] FreeBatch(long[] shape, bool batched) => batched && shape.Length > 0 ? [-1, .. shape[1..]] : shape;

    internal static string Emit(OnnxGraph graph, nn.Module module, string x, string? output) => module switch
    {
        Exponential m => OnnxMaps.Exponential(graph, x, m.beta, output),
        ComponentScaling m => OnnxMaps.ComponentScaling(graph, x, m.k, output),
        GlobalScaling m => OnnxMaps.GlobalScaling(graph, x, m.k, output),
        Softmax m => OnnxMaps.Softmax(graph, x, m.beta, output),
        LogSum m => OnnxMaps.LogSum(graph, x, m.beta, output),
        Sequential sequential => EmitSequence(graph, sequential.children().ToList(), x, output),
        _ => throw new ArgumentException(
            $"ONNX export: cannot export a {module.GetType().Name}; expected Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum or an nn.Sequential of them.",
            nameof(module)),
    };

    private static string EmitSequence(OnnxGraph graph, IReadOnlyList<nn.Module> children, string x, string? output)
    {
        if (children.Count == 0)
            return graph.Node("Identity", [x], output);
        for (int i = 0; i < children.Count; i++)
            x = Emit(graph, children[i], x, i == children.Count - 1 ? output : null);
        return x;
    }
}
