using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// The vector-Jacobian product vᵀJ that every check is built from: one call of backward with v as grad_output,
/// through <see cref="SafeAutograd.grad"/> so that a misbehaving function cannot take the process down. A gradient
/// that autograd leaves undefined (an input that does not reach the outputs, or outputs that do not require grad at
/// all) is returned as zeros, which is what it means mathematically; that is how a backward that is not
/// differentiable shows up in a second-order check: as a Jacobian of zeros, not as an exception.
/// </summary>
internal static class VectorJacobianProduct
{
    /// <summary>
    /// Σ_o ⟨gradOutputs[o], outputs[o]⟩ differentiated with respect to each of <paramref name="inputs"/> (leaves);
    /// with <paramref name="createGraph"/> the backward itself is recorded, so that the result can be differentiated again.
    /// </summary>
    public static Tensor[] Of(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> gradOutputs, bool createGraph = false)
    {
        var differentiable = Enumerable.Range(0, outputs.Count).Where(o => outputs[o].requires_grad).ToArray();
        if (differentiable.Length == 0)
            return inputs.Select(input => zeros_like(input)).ToArray();
        // retain_graph: the checks run several backward passes through one forward.
        var grads = SafeAutograd.grad(
            differentiable.Select(o => outputs[o]).ToList(),
            inputs.ToList(),
            differentiable.Select(o => gradOutputs[o].to(outputs[o].dtype)).ToList(),
            retain_graph: true,
            create_graph: createGraph,
            allow_unused: true);
        return grads.Select((grad, k) => grad ?? zeros_like(inputs[k])).ToArray();
    }

    /// <summary>
    /// The backward of <paramref name="function"/> as a function in its own right, the object of a second-order
    /// check: (inputs, grad_outputs) ↦ ∂⟨grad_outputs, function(inputs)⟩/∂inputs, computed with create_graph so
    /// that its own backward is the double backward. Inputs that require grad are differentiated in place (the
    /// analytical side, whose graph must reach them); plain ones are wrapped in fresh leaves (the finite differences).
    /// </summary>
    public static Func<Tensor[], Tensor[]> AsFunction(Func<Tensor[], Tensor[]> function, int inputCount) => arguments =>
    {
        using var grad = enable_grad();
        var inputs = arguments[..inputCount].Select(input => input.requires_grad ? input : input.detach().requires_grad_()).ToArray();
        var outputs = function(inputs);
        return Of(outputs, inputs, arguments[inputCount..], createGraph: true);
    };
}
