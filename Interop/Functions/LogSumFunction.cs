// LogSum module: y = −(1/β) log Σ_j exp(−β x_j), reducing the last dimension; β is a nonzero scalar parameter.
//
// Write z = −β x, L = log Σ_j exp(z_j) (so y = −L/β) and p = softmax(z), the weights ∂L/∂z_j. Then
//     ∂y/∂x_j = −(1/β) · p_j · (−β) = p_j
//     ∂y/∂β   = L/β² − (1/β) Σ_j p_j (−x_j) = (L + β Σ_j p_j x_j) / β² = H(p) / β²
// where H(p) = −Σ_j p_j log p_j is the entropy of p: since log p_j = z_j − L = −β x_j − L,
// H(p) = β Σ_j p_j x_j + L. In the direct form, for large β both Σ_j p_j x_j and y approach min x and
// their difference cancels; H(p) is a sum of non-negative terms and does not.
//
// With g = ∂E/∂y (one value per row of x), the chain rule that backward evaluates is
//     ∂E/∂x_j = g · p_j
//     ∂E/∂β   = Σ_rows g · H(p) / β²
//
// Forward computes L as m + log Σ_j exp(z_j − m), with m the row's maximum of z (the built-in logsumexp kernel
// does the same, and so does forward here, in place on z), so it is finite for either sign of β and any size of β x.
// Backward recomputes log p from the saved inputs with log_softmax and p from it. When autograd is recording backward
// to differentiate it again (create_graph), it does so with differentiable operations, so that second derivatives
// come out right too; otherwise the entropy terms overwrite log p and ∂E/∂x overwrites p: three tensors the size of
// x in all (−βx, log p and p, which becomes ∂E/∂x), where autograd of the twin makes five.
//
// At infinite z, p is the limit (see InfiniteLimits): entries at z = −∞ are ignored, entries at z = +∞ share the
// weight. An ignored entry has p_j = 0 and log p_j = −∞, and its entropy term p_j log p_j, 0 in the limit, is
// taken as 0 (log p_j is replaced by 0 before the product, so that its derivative is 0 too rather than NaN). Rows
// whose maximum is infinite have m = 0 in forward, as in the built-in logsumexp.

using Interop.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y = −(1/β) log Σ_j exp(−β x_j) over the last dimension (a soft minimum of x that tends to min x as β → +∞),
/// as an autograd Function whose backward is written by hand. x has shape [..., N] with N ≥ 1 and y has shape [...];
/// β is a nonzero 0-d tensor of x's dtype and device.
/// </summary>
public sealed class LogSumFunction : BinaryFunction<LogSumFunction>
{
    private LogSumFunction() : base("x", "beta")
    {
    }

    /// <summary>Computes −(1/β) logsumexp(−β x) over the last dimension and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of shape [..., N], N ≥ 1, float32 or float64.</param>
    /// <param name="beta">β, a nonzero 0-d tensor of x's dtype and device.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype, device or value; the message says which.</exception>
    public static new Tensor apply(Tensor x, Tensor beta) => BinaryFunction<LogSumFunction>.apply(x, beta);

    /// <inheritdoc />
    protected override void validate(Tensor x, Tensor beta)
    {
        FunctionArguments.RequireFloatingPair(Name, x, beta, "beta");
        FunctionArguments.RequireScalar(Name, beta, "beta");
        FunctionArguments.RequireNonEmptyLastDim(Name, x);
        if (beta.ToDouble() == 0)
            throw new ArgumentException($"{Name}: 'beta' must be nonzero (y = −(1/β) log Σ exp(−β x) divides by β); got 0.", "beta");
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var z = x.mul(beta.neg());
        var shift = z.amax([-1], keepdim: true).nan_to_num_(double.NaN, posinf: 0, neginf: 0);
        ctx.save_for_backward(x, beta);
        // Reduced without keepdim, so that the output is a tensor of its own rather than a view, which callers may
        // then modify in place as they could the twin's.
        return z.sub_(shift).exp_().sum(-1).log_().add_(shift.squeeze(-1)).div_(beta).neg_();
    }

    /// <inheritdoc />
    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta) = ctx.saved_tensors;
        bool needX = ctx.needs_input_grad(0), needBeta = ctx.needs_input_grad(1);
        return ctx.create_graph ? Differentiable(x, beta, grad_output, needX, needBeta) : InPlace(x, beta, grad_output, needX, needBeta);
    }

    /// <summary>Backward in operations that autograd can record and differentiate again.</summary>
    private static (Tensor? GradX, Tensor? GradBeta) Differentiable(Tensor x, Tensor beta, Tensor grad_output, bool needX, bool needBeta)
    {
        var logP = InfiniteLimits.LogSoftmax(x * beta.neg());
        var p = logP.exp();
        var gradX = needX ? p * grad_output.unsqueeze(-1) : null;
        var gradBeta = needBeta ? BetaGradient((p * logP.nan_to_num(double.NaN, neginf: 0)).sum(-1), beta, grad_output) : null;
        return (gradX, gradBeta);
    }

    /// <summary>The same sums when nothing records them: log p and p are ours, and are overwritten.</summary>
    private static (Tensor? GradX, Tensor? GradBeta) InPlace(Tensor x, Tensor beta, Tensor grad_output, bool needX, bool needBeta)
    {
        var logP = InfiniteLimits.LogSoftmax(x * beta.neg());
        var p = logP.exp();
        Tensor? gradBeta = null;
        if (needBeta)
        {
            var rowSums = logP.mul_(p).sum(-1);
            // NaN comes only from an entry at z = −∞ (p log p = 0 · (−∞), whose limit is 0) or from a NaN input;
            // those rare inputs take the general path, which replaces log p by 0 there before the product.
            if (double.IsNaN(rowSums.sum().ToDouble()))
                return Differentiable(x, beta, grad_output, needX, needBeta);
            gradBeta = BetaGradient(rowSums, beta, grad_output);
        }
        var gradX = needX ? p.mul_(grad_output.unsqueeze(-1)) : null;
        return (gradX, gradBeta);
    }

    /// <summary>∂E/∂β = Σ_rows g · H(p) / β², from each row's Σ_j p_j log p_j = −H(p).</summary>
    private static Tensor BetaGradient(Tensor rowSumsOfPLogP, Tensor beta, Tensor grad_output) =>
        InnerProduct.Of(grad_output, rowSumsOfPLogP).neg() / beta.square();
}
