// Softmax module: y_i = exp(−β x_i) / Σ_j exp(−β x_j) along the last dimension; β is a scalar parameter.
//
// Write z = −β x, so y = softmax(z) and ∂y_i/∂z_j = y_i (δ_ij − y_j). Then
//     ∂y_i/∂x_j = −β y_i (δ_ij − y_j)
//     ∂y_i/∂β   = Σ_j y_i (δ_ij − y_j)(−x_j) = y_i (x̄ − x_i),   where x̄ = Σ_j y_j x_j
//
// With g_i = ∂E/∂y_i and s = Σ_i g_i y_i, the chain rule collapses to one shared vector u_j = y_j (g_j − s):
//     ∂E/∂x_j = Σ_i g_i ∂y_i/∂x_j = −β y_j (g_j − s) = −β u_j
//     ∂E/∂β   = Σ_i g_i y_i (x̄ − x_i) = s x̄ − Σ_i g_i y_i x_i = −Σ_j x_j u_j
// (the last step expands −Σ_j x_j y_j (g_j − s)). The β sum also runs over the batch dimensions.
//
// Backward forms u once; the β sum reads it with x in a single dot, and u becomes ∂E/∂x by a scaling with −β.
// Unless autograd is recording backward to differentiate it again (create_graph), u comes from libtorch's fused
// softmax backward (the kernel autograd itself uses, which TorchSharp does not bind; see BuiltInKernels) and is
// scaled in place.
//
// Forward shifts z by its maximum before exponentiating (the built-in softmax kernel does exactly that), so it
// never overflows, whatever the sign of β or the size of β x. At infinite z it returns the limit (see
// InfiniteLimits): entries at z = −∞ get weight 0, entries at z = +∞ share all of it. There, x_j u_j is ∞ · 0 for
// entries whose weight is 0 or whose x is tied at ±∞ with the rest of the row's weight; those terms are 0 in the
// limit (Σ_j u_j = 0, so a shared x_j contributes nothing) and backward drops them.

using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y_i = exp(−β x_i) / Σ_j exp(−β x_j) along the last dimension, as an autograd Function whose backward is
/// written by hand. x has shape [..., N] with N ≥ 1; β is a 0-d tensor of x's dtype and device.
/// </summary>
public sealed class SoftmaxFunction : BinaryFunction<SoftmaxFunction>
{
    private SoftmaxFunction() : base("x", "beta")
    {
    }

    /// <summary>Computes softmax(−β x) over the last dimension and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of shape [..., N], N ≥ 1, float32 or float64.</param>
    /// <param name="beta">β, a 0-d tensor of x's dtype and device. β = 0 gives the uniform distribution.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device; the message says which.</exception>
    public static new Tensor apply(Tensor x, Tensor beta) => BinaryFunction<SoftmaxFunction>.apply(x, beta);

    /// <inheritdoc />
    protected override void validate(Tensor x, Tensor beta)
    {
        FunctionArguments.RequireFloatingPair(Name, x, beta, "beta");
        FunctionArguments.RequireScalar(Name, beta, "beta");
        FunctionArguments.RequireNonEmptyLastDim(Name, x);
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var y = InfiniteLimits.Softmax(x.mul(beta.neg()));
        ctx.save_for_backward(x, beta, y);
        return y;
    }

    /// <inheritdoc />
    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta, y) = ctx.saved_tensors;
        // Recording (create_graph) needs operations that autograd can differentiate again; otherwise libtorch's
        // fused softmax backward forms u in one pass, and u is ours alone.
        var u = ctx.create_graph
            ? y * (grad_output - (grad_output * y).sum(-1, keepdim: true))
            : BuiltInKernels.SoftmaxBackwardData(grad_output, y);
        var gradBeta = ctx.needs_input_grad(1) ? InfiniteLimits.SumDropping(x, u, x.isinf).neg() : null;
        var gradX = !ctx.needs_input_grad(0) ? null : ctx.create_graph ? u * beta.neg() : u.mul_(beta.neg());
        return (gradX, gradBeta);
    }
}
