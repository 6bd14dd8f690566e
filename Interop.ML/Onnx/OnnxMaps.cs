using static TorchSharp.torch;

namespace Interop.Onnx;

/// <summary>
/// The five maps as ONNX operators, written as the same sequence of operations as each Function's forward, so
/// that ONNX Runtime rounds as TorchSharp does. Each takes the name of its input value and the parameter's current
/// value and returns the name of its output value.
/// </summary>
internal static class OnnxMaps
{
    /// <summary>y = exp(−β x): Exp(Mul(x, −β)).</summary>
    public static string Exponential(OnnxGraph graph, string x, Tensor beta, string? output = null) =>
        graph.Node("Exp", [graph.Node("Mul", [x, graph.Constant("neg_beta", beta.neg())])], output);

    /// <summary>y_i = k_i x_i: Mul(x, K), K broadcast along the last dimension.</summary>
    public static string ComponentScaling(OnnxGraph graph, string x, Tensor k, string? output = null) =>
        graph.Node("Mul", [x, graph.Constant("k", k)], output);

    /// <summary>y = k x: Mul(x, k).</summary>
    public static string GlobalScaling(OnnxGraph graph, string x, Tensor k, string? output = null) =>
        graph.Node("Mul", [x, graph.Constant("k", k)], output);

    /// <summary>y = softmax(−β x) over the last dimension: Softmax(Mul(x, −β), axis = −1).</summary>
    public static string Softmax(OnnxGraph graph, string x, Tensor beta, string? output = null) =>
        graph.Node("Softmax", [graph.Node("Mul", [x, graph.Constant("neg_beta", beta.neg())])], output, OnnxGraph.Int("axis", -1));

    /// <summary>y = −(1/β) log Σ_j exp(−β x_j) over the last dimension: Neg(Div(ReduceLogSumExp(Mul(x, −β)), β)).</summary>
    public static string LogSum(OnnxGraph graph, string x, Tensor beta, string? output = null)
    {
        var scaled = graph.Node("Mul", [x, graph.Constant("neg_beta", beta.neg())]);
        var logSumExp = graph.Node("ReduceLogSumExp", [scaled], null, OnnxGraph.Ints("axes", -1), OnnxGraph.Int("keepdims", 0));
        return graph.Node("Neg", [graph.Node("Div", [logSumExp, graph.Constant("beta", beta)])], output);
    }
}
