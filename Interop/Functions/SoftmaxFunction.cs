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
// Two identities make every one of these exact to the last digits, saturated rows included. Softmax is unchanged by a
// constant added to a row of z, and Σ_j u_j = 0, so with m the entry of largest logit in the row (see RowLogits):
//     y = softmax(β (x_m − x)),   the shift taken in x, so that a common offset of x cancels before β multiplies it
//     u = y ⊙ (g' − Σ_i g'_i y_i),   with g' = g − g_m: u_m = −y_m Σ_{i≠m} y_i (g_i − g_m) is a sum over the small
//                                   weights, not the difference g_m − s of two nearly equal numbers (1 − y_m is
//                                   never formed), and a constant g gives u = 0 exactly
//     ∂E/∂β = Σ_j (x_m − x_j) u_j,   in which the dominant entry's term is exactly 0 and a common offset cancels.
//
// Backward forms u once; the β sum reads it with the gaps x_m − x saved by forward, and u becomes ∂E/∂x by a
// scaling with −β. Unless autograd is recording backward to differentiate it again (create_graph), u comes from
// libtorch's fused softmax backward (the kernel autograd itself uses, which TorchSharp does not bind; see
// BuiltInKernels) applied to g', and is scaled in place.
//
// At infinite x or β, y is the limit (see RowLogits): entries at z = −∞ get weight 0, entries tied with an infinite
// extreme share it, and at β = ±∞ the weight goes to the extreme x (the one-hot). There the terms (x_m − x_j) u_j
// with an infinite gap are ∞ · 0, 0 in the limit (the weight decays faster than the gap grows), and at β = ±∞ the
// entries with u = 0 get ∂E/∂x = 0, the limit of β e^(−β Δ).

using Interop.Autograd;
using TorchSharp;
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
        var logits = RowLogits.Of(x, beta);
        var y = RowLogits.Shifted(logits.Gap, beta, logits.Beta, inPlace: false).softmax(-1);
        ctx.save_for_backward(x, beta, y, logits.Index, logits.Gap);
        return y;
    }

    /// <inheritdoc />
    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var saved = ctx.saved_tensors;
        Tensor x = saved[0], beta = saved[1], y = saved[2], index = saved[3];
        bool recording = ctx.create_graph;
        var g = grad_output;
        // g − g_m is exactly 0 at the dominant entry, so that entry's u_m = −y_m Σ_{j≠m} y_j (g_j − g_m) is a sum
        // over the others rather than the difference g_m − s of two nearly equal numbers.
        var shiftedGrad = g - g.gather(-1, index);
        // Recording (create_graph) needs operations that autograd can differentiate again (and the gaps recomputed from
        // x, so that they are differentiable too); otherwise libtorch's fused softmax backward forms u in one pass, and
        // u is ours alone.
        var u = recording
            ? y * (shiftedGrad - (shiftedGrad * y).sum(-1, keepdim: true))
            : BuiltInKernels.SoftmaxBackwardData(shiftedGrad, y);
        Tensor? gradBeta = null;
        if (ctx.needs_input_grad(1))
        {
            var gap = recording ? RowLogits.GapOf(x, index) : saved[4];
            gradBeta = InnerProduct.OfFresh(gap, u);
            // NaN comes only from an entry at an infinite gap, whose u is 0 (weight 0): its term is 0 in the limit.
            if (double.IsNaN(gradBeta.ToDouble()))
                gradBeta = where(u.eq(HeldScalars.Zero), zeros_like(u), gap * u).sum();
        }
        var gradX = ctx.needs_input_grad(0) ? MinusBetaTimes(u, beta, inPlace: !recording) : null;
        return (gradX, gradBeta);
    }

    /// <summary>
    /// −β u; at β = ±∞, entries with u = 0 (every entry but ties at the extreme) get 0, the limit of β e^(−β Δ),
    /// rather than ∞ · 0.
    /// </summary>
    private static Tensor MinusBetaTimes(Tensor u, Tensor beta, bool inPlace)
    {
        if (!double.IsFinite(beta.ToDouble()))
            return where(u.eq(HeldScalars.Zero), zeros_like(u), u * beta.neg());
        return inPlace ? u.mul_(beta).neg_() : u * beta.neg();
    }
}
