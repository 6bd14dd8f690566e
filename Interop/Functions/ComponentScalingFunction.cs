// Component scaling module: y_i = k_i x_i along the last dimension; K = [k_1 … k_N] is a vector parameter.
//
// Component i of the output sees only component i of the input and of K, so both Jacobians are diagonal:
//     ∂y_i/∂x_j = k_i  when i = j, and 0 otherwise
//     ∂y_i/∂k_j = x_i  when i = j, and 0 otherwise
//
// With g_i = ∂E/∂y_i, the sums of the chain rule keep a single term each:
//     ∂E/∂x_j = Σ_i g_i ∂y_i/∂x_j = g_j k_j
//     ∂E/∂k_j = Σ_i g_i ∂y_i/∂k_j = g_j x_j
// For a batch x of shape [..., N] the same K scales every row, so ∂E/∂k_j also sums g_j x_j over the rows.

using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y_i = k_i x_i along the last dimension, as an autograd Function whose backward is written by hand.
/// x has shape [..., N]; K has shape [N], x's dtype and x's device.
/// </summary>
public sealed class ComponentScalingFunction : BinaryFunction<ComponentScalingFunction>
{
    private ComponentScalingFunction() : base("x", "k")
    {
    }

    /// <summary>Computes K ⊙ x along the last dimension and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of shape [..., N], float32 or float64.</param>
    /// <param name="k">K, of shape [N], x's dtype and device.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device; the message says which.</exception>
    public static new Tensor apply(Tensor x, Tensor k) => BinaryFunction<ComponentScalingFunction>.apply(x, k);

    /// <inheritdoc />
    protected override void validate(Tensor x, Tensor k)
    {
        FunctionArguments.RequireFloatingPair(Name, x, k, "k");
        if (k.dim() != 1)
            throw new ArgumentException($"{Name}: 'k' must be a vector of shape [N]; got shape {FunctionArguments.Shape(k)}.", "k");
        if (x.dim() == 0 || x.size(-1) != k.size(0))
            throw new ArgumentException(
                $"{Name}: 'x' must have shape [..., {k.shape[0]}] to match K of length {k.shape[0]}; got shape {FunctionArguments.Shape(x)}.", "x");
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor k)
    {
        ctx.save_for_backward(x, k);
        return x.mul(k);
    }

    /// <inheritdoc />
    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, k) = ctx.saved_tensors;
        var gradX = ctx.needs_input_grad(0) ? grad_output * k : null;
        var gradK = !ctx.needs_input_grad(1) ? null
            : x.dim() == 1 ? grad_output * x
            : (grad_output * x).reshape(-1, k.size(0)).sum(dim: 0);
        return (gradX, gradK);
    }
}
