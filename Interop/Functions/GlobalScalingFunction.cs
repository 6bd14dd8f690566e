// Global scaling module: y_i = k x_i for every component; k is one scalar parameter.
//
//     ∂y_i/∂x_j = k  when i = j, and 0 otherwise
//     ∂y_i/∂k   = x_i
//
// With g_i = ∂E/∂y_i:
//     ∂E/∂x_j = Σ_i g_i ∂y_i/∂x_j = g_j k
//     ∂E/∂k   = Σ_i g_i ∂y_i/∂k   = Σ_i g_i x_i
// Unlike component scaling, every component shares k, so its gradient is one sum over all of them
// (and over the batch): the inner product of g and x, one dot that makes no temporary.

using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y = k x, element-wise, as an autograd Function whose backward is written by hand.
/// x may have any shape (0-d included); k is a 0-d tensor of x's dtype and device.
/// </summary>
public sealed class GlobalScalingFunction : BinaryFunction<GlobalScalingFunction>
{
    private GlobalScalingFunction() : base("x", "k")
    {
    }

    /// <summary>Computes k x and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of any shape, float32 or float64.</param>
    /// <param name="k">k, a 0-d tensor of x's dtype and device.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device; the message says which.</exception>
    public static new Tensor apply(Tensor x, Tensor k) => BinaryFunction<GlobalScalingFunction>.apply(x, k);

    /// <inheritdoc />
    protected override void validate(Tensor x, Tensor k)
    {
        FunctionArguments.RequireFloatingPair(Name, x, k, "k");
        FunctionArguments.RequireScalar(Name, k, "k");
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
        var gradK = ctx.needs_input_grad(1) ? InnerProduct.Of(grad_output, x) : null;
        return (gradX, gradK);
    }
}
