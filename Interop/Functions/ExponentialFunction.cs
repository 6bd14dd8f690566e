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
// Both reuse y, the output saved by forward, which is why it is saved instead of recomputed.
// Two things can make the β sum NaN in floating point although its value is not: where y underflows to 0 because
// x = ±∞, the term x_i y_i is ∞ · 0, whose limit is 0 (y decays faster than x grows); and where exp(−β x) overflows,
// terms of opposite signs meet as ∞ − ∞. Only then does backward recompute the sum scaled by the largest exponent,
// Σ_i g_i x_i e^{z_i} = e^{m} Σ_i g_i x_i e^{z_i − m} with z = −β x and m = max z, which gives the right sign of ∞.

using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y = exp(−β x), element-wise, as an autograd Function whose backward is written by hand.
/// x may have any shape (0-d included); β is a 0-d tensor of x's dtype and device.
/// </summary>
public sealed class ExponentialFunction : autograd.SingleTensorFunction<ExponentialFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(ExponentialFunction);

    /// <summary>Computes exp(−β x) and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of any shape, float32 or float64.</param>
    /// <param name="beta">β, a 0-d tensor of x's dtype and device.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device; the message says which.</exception>
    public static Tensor apply(Tensor x, Tensor beta)
    {
        Validate(x, beta);
        return apply_internal(x, beta)[0];
    }

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, beta) = FunctionArguments.Unpack(Name, vars, "beta");
        Validate(x, beta);
        var y = x.mul(beta).neg_().exp_();
        ctx.save_for_backward([x, beta, y]);
        return y;
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        Tensor x = saved[0], beta = saved[1], y = saved[2];

        var gy = grad_output * y;
        var gradX = x.requires_grad ? (gy * -beta).MoveToOuterDisposeScope() : null;
        var gradBeta = beta.requires_grad ? BetaSum(x, beta, gy, grad_output).neg().MoveToOuterDisposeScope() : null;
        return [gradX!, gradBeta!];
    }

    /// <summary>Σ_i x_i · (g_i y_i), rescaled when the plain sum is NaN (see the derivation above).</summary>
    private static Tensor BetaSum(Tensor x, Tensor beta, Tensor gy, Tensor grad_output)
    {
        var sum = (x * gy).sum();
        if (!sum.isnan().ToBoolean())
            return sum;
        var z = x * -beta;
        var m = z.max();
        var scaled = (z - m).exp();
        var scaledSum = where(scaled.eq(0), zeros_like(scaled), grad_output * x * scaled).sum();
        return where(scaledSum.eq(0), scaledSum, scaledSum * m.exp());
    }

    private static void Validate(Tensor x, Tensor beta)
    {
        FunctionArguments.RequireFloatingPair(nameof(ExponentialFunction), x, beta, "beta");
        FunctionArguments.RequireScalar(nameof(ExponentialFunction), beta, "beta");
    }
}
