using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// The logits z = −β x of Softmax and LogSum, shifted in x rather than in z. In each row, m is the entry with the
/// largest logit (the smallest x when β ≥ 0, the largest when β &lt; 0), and
/// <c>gap_j = x_m − x_j</c>, <c>shifted_j = β gap_j = z_j − z_m ≤ 0</c>, with <c>shifted_m = 0</c> exactly.
/// Both maps are unchanged when a constant is added to a row of z, so both are computed from these.
/// </summary>
/// <remarks>
/// <para>
/// Shifting in x, not in z, matters three ways. β x is never formed, so nothing overflows where β x is beyond the
/// type while the result is not (x = [1e300, −1e300, 0], β = 1e10). A large common offset of x (x ≈ 7e5 ± 1e3)
/// cancels exactly in x_m − x_j instead of after the multiplication by β. And the dominant entry is known by its
/// index, so the complementary forms can leave it out: LogSum sums the weight of the other entries into log1p, and
/// Softmax shifts g by its value at m, so that 1 − y_m is never formed as a difference.
/// </para>
/// <para>
/// The limits, taken only where a row's extreme x or β is not finite (one look at the row extremes tells):
/// <list type="bullet">
/// <item>entries tied with the extreme, infinite ones included (where ∞ − ∞ would be NaN), get gap 0: the limit of equal entries;</item>
/// <item>an entry at z = −∞ (an infinite gap) gets logit −∞, weight 0;</item>
/// <item>at β = ±∞ the tied entries get logit 0 and the others −∞ (where 0 · ∞ would be NaN): the one-hot at the extreme, shared by ties.</item>
/// </list>
/// A NaN in x makes its whole row NaN.
/// </para>
/// </remarks>
internal readonly record struct RowLogits(Tensor Index, Tensor Extreme, Tensor Gap, double Beta)
{
    /// <summary>The extremes, their indices and the gaps of every row of x (the gaps with their limits where needed).</summary>
    public static RowLogits Of(Tensor x, Tensor beta)
    {
        double b = beta.ToDouble();
        var (extreme, index) = b >= 0 ? x.min(-1, keepdim: true) : x.max(-1, keepdim: true);
        var gap = extreme - x;
        // A single row's extreme is read directly; more rows are summed first (a non-finite extreme makes the sum so).
        bool atLimit = !double.IsFinite(b) || !double.IsFinite((x.dim() == 1 ? extreme : extreme.sum()).ToDouble());
        return new(index, extreme, atLimit ? TiesAtZero(x, extreme, gap) : gap, b);
    }

    /// <summary>
    /// The gaps again from x and the saved indices, in differentiable operations. The extreme's own gap is set to 0
    /// by a scatter, which also gives it no derivative: x_m − x_m has derivative 1 − 1, and autograd would add both
    /// halves into x_m's gradient among terms of the other entries that are smaller by e^(βΔx). Ties are replaced by
    /// 0 only where the extreme is not finite: finite ties are exactly 0 already, and keep their derivative.
    /// </summary>
    public static Tensor GapOf(Tensor x, Tensor index)
    {
        var extreme = x.gather(-1, index);
        var gap = (extreme - x).scatter(-1, index, zeros(index.shape, x.dtype, x.device));
        return double.IsFinite(extreme.sum().ToDouble()) ? gap : TiesAtZero(x, extreme, gap);
    }

    /// <summary>
    /// β · gap, with the one-hot limit at β = ±∞ (<paramref name="betaValue"/> is β's value, which the caller has);
    /// in place on the gaps when <paramref name="inPlace"/>.
    /// </summary>
    public static Tensor Shifted(Tensor gap, Tensor beta, double betaValue, bool inPlace)
    {
        if (!double.IsFinite(betaValue))
            return where(gap.eq(HeldScalars.Zero), zeros_like(gap), gap * beta);
        return inPlace ? gap.mul_(beta) : gap * beta;
    }

    private static Tensor TiesAtZero(Tensor x, Tensor extreme, Tensor gap) => where(x.eq(extreme), zeros_like(gap), gap);
}
