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
// With m the entry of largest logit in the row (see RowLogits), s = z − z_m = β (x_m − x) ≤ 0 (s_m = 0) and
// T = Σ_{j≠m} e^(s_j), the weight of every entry but the dominant one:
//     y = x_m − log1p(T) / β,   log p_j = s_j − log1p(T),   H(p) = log1p(T) − Σ_j p_j s_j
// β x is never formed, so y is finite wherever it is representable (x = [1e300, −1e300, 0], β = 1e10 gives
// −1e300); log1p keeps T where 1 + T rounds to 1, which is where one entry dominates and H(p) ≈ T (1 + T inside a
// log lost it before); and both terms of H(p) are non-negative.
//
// Forward saves s and log1p(T); backward forms p from them. When autograd is recording backward to differentiate
// it again (create_graph), it recomputes them from x and β with differentiable operations, and takes H(p) through
// RowEntropyFunction, whose derivative is written by hand (autograd of the formula above loses everything of
// ∂H/∂x, of order β², at small β); otherwise ∂E/∂x overwrites p.
//
// At infinite x or β, p is the limit (see RowLogits): entries at z = −∞ are ignored, entries tied with an infinite
// extreme share the weight, and at β = ±∞ y is min x (β = +∞) or max x (β = −∞). An ignored entry has p_j = 0 and
// s_j = −∞, and its entropy term p_j s_j, 0 in the limit, is taken as 0 (s_j is replaced by 0 before the product, so
// that its derivative is 0 too rather than NaN).

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
        var logits = RowLogits.Of(x, beta);
        var shifted = RowLogits.Shifted(logits.Gap, beta, logits.Beta, inPlace: true);
        var logMass = LogMass(shifted, logits.Index, inPlace: true);
        ctx.save_for_backward(x, beta, logits.Index, shifted, logMass);
        // y = −(1/β)(z_m + log(1 + T)) = x_m − log(1 + T)/β; a new tensor, not a view, which callers may modify in
        // place as they could the twin's.
        return logits.Extreme.squeeze(-1) - logMass / beta;
    }

    /// <inheritdoc />
    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var saved = ctx.saved_tensors;
        Tensor x = saved[0], beta = saved[1], index = saved[2], shifted = saved[3], logMass = saved[4];
        bool recording = ctx.create_graph;
        // Recording (create_graph) recomputes the logits from x and β in differentiable operations, so that second
        // derivatives come out right too; otherwise the saved ones serve, and p becomes ∂E/∂x in place.
        if (recording)
        {
            shifted = RowLogits.Shifted(RowLogits.GapOf(x, index), beta, beta.ToDouble(), inPlace: false);
            logMass = LogMass(shifted, index, inPlace: false);
        }
        var logP = shifted - logMass.unsqueeze(-1);
        var p = recording ? logP.exp() : logP.exp_();
        Tensor? gradBeta = null;
        if (ctx.needs_input_grad(1))
        {
            // H(p) = −Σ_j p_j (z_j − z_m − log(1 + T)) = log(1 + T) + Σ_j p_j |z_j − z_m|: no term is negative.
            // Recording takes it through RowEntropyFunction, whose derivative is written by hand (see there). An
            // entry at z = −∞ has p = 0 and a term 0 · (−∞), whose limit is 0: only a NaN sum (that, or a NaN input)
            // takes the detour that replaces its logit by 0.
            var entropy = recording ? RowEntropyFunction.apply(shifted, index) : logMass - (p * shifted).sum(-1);
            gradBeta = BetaGradient(entropy, beta, grad_output);
            if (!recording && double.IsNaN(gradBeta.ToDouble()))
                gradBeta = BetaGradient(logMass - (p * ZeroWhereUnweighted(shifted, p)).sum(-1), beta, grad_output);
        }
        var gradX = !ctx.needs_input_grad(0) ? null : recording ? p * grad_output.unsqueeze(-1) : p.mul_(grad_output.unsqueeze(-1));
        return (gradX, gradBeta);
    }

    /// <summary>The logits with 0 in place of those whose weight is 0.</summary>
    internal static Tensor ZeroWhereUnweighted(Tensor shifted, Tensor p) => where(p.eq(HeldScalars.Zero), zeros_like(shifted), shifted);

    /// <summary>
    /// log(1 + T) for each row, where T = Σ_{j≠m} e^(z_j − z_m) is the weight of every entry but the dominant one
    /// (whose weight e^0 = 1 is left out): log1p keeps T where 1 + T would round to 1.
    /// </summary>
    internal static Tensor LogMass(Tensor shifted, Tensor index, bool inPlace)
    {
        var weights = shifted.exp();
        var none = zeros(index.shape, shifted.dtype, shifted.device);
        return inPlace ? weights.scatter_(-1, index, none).sum(-1).log1p_() : weights.scatter(-1, index, none).sum(-1).log1p();
    }

    /// <summary>∂E/∂β = Σ_rows g · H(p) / β², divided by β twice, so that neither β² nor (for second order) β⁴ underflows.</summary>
    private static Tensor BetaGradient(Tensor entropy, Tensor beta, Tensor grad_output) =>
        InnerProduct.Of(grad_output, entropy).div(beta).div(beta);
}
