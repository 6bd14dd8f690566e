// Row entropy: H(p) = −Σ_j p_j log p_j for p = softmax(s) along the last dimension, where s are LogSum's shifted
// logits (s_j = z_j − z_m ≤ 0, s_m = 0 at the saved index m). LogSum's recorded backward takes ∂E/∂β = Σ g H / β²
// through this Function, so that autograd differentiates H by the hand-written rule below rather than by its formula.
//
// With log p_j = s_j − L and L = log Σ_k e^(s_k),
//     H = L − Σ_j p_j s_j
//     ∂H/∂s_j = p_j − (p_j + Σ_k s_k ∂p_k/∂s_j) = −p_j (s_j − s̄),   where s̄ = Σ_k p_k s_k
// (∂p_k/∂s_j = p_k (δ_kj − p_j)). Autograd of the formula forms the first line's two terms, each of order 1, and
// subtracts them; s = β (x_m − x) makes the difference of order β, and the derivative by x of order β², which
// LogSum then divides by β²: at β = 1e−8 nothing of it survives the subtraction. The hand-written form has no
// subtraction of that kind. An entry with p_j = 0 (s_j = −∞) contributes 0 to both H and ∂H/∂s_j.

using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>H(softmax(s)) for each row of LogSum's shifted logits s, with a hand-written derivative.</summary>
internal sealed class RowEntropyFunction : Function<RowEntropyFunction>
{
    private RowEntropyFunction() : base("shifted", "index")
    {
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
    {
        Tensor shifted = inputs[0], index = inputs[1];
        var (_, weighted) = Weights(shifted, index);
        ctx.save_for_backward(shifted, index);
        return LogSumFunction.LogMass(shifted, index, inPlace: false) - weighted.sum(-1);
    }

    /// <inheritdoc />
    protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs)
    {
        var (shifted, index) = ctx.saved_tensors;
        var (p, weighted) = Weights(shifted, index);
        var centered = LogSumFunction.ZeroWhereUnweighted(shifted, p) - weighted.sum(-1, keepdim: true);
        grad_inputs[0] = p * centered * grad_output.unsqueeze(-1).neg();
    }

    /// <summary>p = softmax(s) and p_j s_j, with 0 for the entries whose weight is 0.</summary>
    private static (Tensor P, Tensor Weighted) Weights(Tensor shifted, Tensor index)
    {
        var p = (shifted - LogSumFunction.LogMass(shifted, index, inPlace: false).unsqueeze(-1)).exp();
        return (p, p * LogSumFunction.ZeroWhereUnweighted(shifted, p));
    }
}
