using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>A map's output and the gradients of ⟨g, y⟩ with respect to its input and its parameter.</summary>
/// <param name="Output">y, detached from the graph.</param>
/// <param name="GradX">∂⟨g, y⟩/∂x, shaped like x.</param>
/// <param name="GradParameter">∂⟨g, y⟩/∂parameter, shaped like the parameter.</param>
public sealed record MapGradients(Tensor Output, Tensor GradX, Tensor GradParameter)
{
    /// <summary>
    /// Runs <paramref name="map"/> on fresh leaf copies of <paramref name="x"/> and <paramref name="parameter"/>
    /// (the callers' tensors are not touched) and backpropagates <paramref name="upstream"/>, g = ∂E/∂y (all ones if null).
    /// With <paramref name="create_graph"/> the backward is recorded, so the gradients can be differentiated again.
    /// </summary>
    public static MapGradients Of(Func<Tensor, Tensor, Tensor> map, Tensor x, Tensor parameter, Tensor? upstream = null, bool create_graph = false)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameter);
        var xLeaf = x.detach().clone().requires_grad_();
        var parameterLeaf = parameter.detach().clone().requires_grad_();
        var y = map(xLeaf, parameterLeaf);
        var grads = SafeAutograd.grad([y], [xLeaf, parameterLeaf], [upstream ?? ones_like(y)], create_graph: create_graph);
        return new MapGradients(y.detach(), grads[0]!, grads[1]!);
    }
}
