// Exponential module: y = exp(−β x), element by element; β is a scalar parameter.
//
// Each y_i depends on x_i alone, so the Jacobian with respect to x is diagonal:
//     ∂y_i/∂x_j = −β y_i  when i = j, and 0 otherwise
//     ∂y_i/∂β   = −x_i y_i
//
// With g_i = ∂E/∂y_i coming from above, the chain rule that backward evaluates is
//     ∂E/∂x_i = g_i · (−β y_i)
//     ∂E/∂β   = Σ_i g_i · (−x_i y_i)     (i runs over every element, batch dimensions included)
//
// Both reuse y, the output saved by forward, which is why it is saved instead of recomputed. Backward
// forms g ⊙ y once; the β sum reads it with x (see InnerProduct), and then, unless autograd is recording backward
// itself to differentiate it again (create_graph), g ⊙ y is scaled by −β in place to become ∂E/∂x.
// Three things can make the β sum NaN or infinite in floating point although its value is not: where y underflows to
// 0 because x = ±∞, the term x_i y_i is ∞ · 0, whose limit is 0 (y decays faster than x grows); where exp(−β x) is
// near the top of the range, a term x_i g_i y_i can overflow although the sum, with terms of the other sign, does
// not; and terms of opposite signs that overflow meet as ∞ − ∞. Only then does backward recompute the sum scaled by
// the largest exponent, Σ_i g_i x_i e^{z_i} = e^{m} Σ_i g_i x_i e^{z_i − m} with z = −β x and m = max z, which is
// finite where the sum is and otherwise gives the right sign of ∞;
// entries tied with m (at z = +∞ too, where z − m would be NaN) are scaled by 1, and entries with y = 0 add 0.

using Interop.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y = exp(−β x), element-wise, as an autograd Function whose backward is written by hand.
/// x may have any shape (0-d included); β is a 0-d tensor of x's dtype and device.
/// </summary>
public sealed class ExponentialFunction : BinaryFunction<ExponentialFunction>
{
    private ExponentialFunction() : base("x", "beta")
    {
    }

    /// <summary>Computes exp(−β x) and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of any shape, float32 or float64.</param>
    /// <param name="beta">β, a 0-d tensor of x's dtype and device.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device; the message says which.</exception>
    public static new Tensor apply(Tensor x, Tensor beta) => BinaryFunction<ExponentialFunction>.apply(x, beta);

    /// <inheritdoc />
    protected override void validate(Tensor x, Tensor beta)
    {
        FunctionArguments.RequireFloatingPair(Name, x, beta, "beta");
        FunctionArguments.RequireScalar(Name, beta, "beta");
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var y = x.mul(beta.neg()).exp_();
        ctx.save_for_backward(x, beta, y);
        return y;
    }

    /// <inheritdoc />
    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta, y) = ctx.saved_tensors;
        var gy = grad_output * y;
        var gradBeta = ctx.needs_input_grad(1) ? BetaSum(ctx, x, beta, y, gy, grad_output).neg() : null;
        // Recording (create_graph) keeps gy intact for the graph; otherwise gy is ours alone and becomes ∂E/∂x.
        var gradX = !ctx.needs_input_grad(0) ? null : ctx.create_graph ? gy * beta.neg() : gy.mul_(beta.neg());
        return (gradX, gradBeta);
    }

    /// <summary>
    /// Σ_i x_i · (g_i y_i), with the limits where the plain sum is NaN or infinite (see the derivation above). Recorded for
    /// create_graph, the limit is differentiated as the plain sum, term by term (see <see cref="LimitValueFunction"/>).
    /// </summary>
    private static Tensor BetaSum(FunctionContext ctx, Tensor x, Tensor beta, Tensor y, Tensor gy, Tensor grad_output)
    {
        var sum = InnerProduct.Of(x, gy);
        if (double.IsFinite(sum.ToDouble()))
            return sum;
        if (!ctx.create_graph)
            return ScaledBetaSum(x, beta, y, grad_output);
        Tensor limit;
        using (no_grad())
            limit = ScaledBetaSum(x, beta, y, grad_output);
        return LimitValueFunction.apply(sum, limit);
    }

    /// <summary>Σ_i x_i g_i y_i scaled by the largest exponent, for where the plain sum is NaN or infinite.</summary>
    private static Tensor ScaledBetaSum(Tensor x, Tensor beta, Tensor y, Tensor grad_output)
    {
        var z = x * beta.neg();
        var m = z.max();
        // Entries tied with the largest exponent, at +∞ too, are scaled by e^0 = 1; entries with y = 0 add nothing.
        var scaled = where(z.eq(m), ones_like(z), (z - m).exp());
        var scaledSum = where(y.eq(HeldScalars.Zero), zeros_like(y), grad_output * x * scaled).sum();
        return where(scaledSum.eq(HeldScalars.Zero), scaledSum, scaledSum * m.exp());
    }
}
