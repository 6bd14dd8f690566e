using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// The five maps at infinite inputs, where the textbook formulas compute ∞ − ∞ or ∞ · 0 and return NaN: softmax and
/// LogSum at infinite logits z = −β x, and gradient sums with terms of the form ∞ · 0.
/// </summary>
/// <remarks>
/// Both maps are unchanged when a constant is added to a row of z, so a row's value at infinity is its limit:
/// <list type="bullet">
/// <item>an entry with z = −∞ gets weight 0 (the softmax ignores it);</item>
/// <item>a row with entries at z = +∞ puts all the weight on those entries, equally;</item>
/// <item>a row that is −∞ everywhere is a row of equal entries, so the weights are uniform.</item>
/// </list>
/// The common case pays one look at the first column: a row whose maximum is infinite comes out NaN in every
/// entry, and only then is the limit computed. NaN inputs stay NaN.
/// </remarks>
internal static class InfiniteLimits
{
    /// <summary>softmax(z) over the last dimension, with rows at infinity replaced by their limits.</summary>
    public static Tensor Softmax(Tensor z)
    {
        var y = z.softmax(-1);
        return HasUndefinedRow(y) ? Limit(z).softmax(-1) : y;
    }

    /// <summary>log softmax(z) over the last dimension, with rows at infinity replaced by their limits.</summary>
    public static Tensor LogSoftmax(Tensor z)
    {
        var logP = z.log_softmax(-1);
        return HasUndefinedRow(logP) ? Limit(z).log_softmax(-1) : logP;
    }

    /// <summary>
    /// Σ over all elements of <paramref name="a"/> · <paramref name="b"/>, where the terms that <paramref name="dropWhere"/>
    /// marks are 0 in the limit but evaluate to NaN (∞ · 0). The masked sum is computed only when the plain one is NaN.
    /// </summary>
    public static Tensor SumDropping(Tensor a, Tensor b, Func<Tensor> dropWhere)
    {
        var sum = (a * b).sum();
        if (!sum.isnan().ToBoolean())
            return sum;
        return where(dropWhere(), zeros_like(a), a * b).sum();
    }

    private static bool HasUndefinedRow(Tensor result) => result.select(-1, 0).isnan().any().ToBoolean();

    /// <summary>The limit of each row of z: rows with a finite maximum (or a NaN) are kept as they are.</summary>
    private static Tensor Limit(Tensor z)
    {
        var rowMax = z.amax([-1], keepdim: true);
        var onlyTheInfinite = where(z.isposinf(), zeros_like(z), full_like(z, double.NegativeInfinity));
        return where(rowMax.isposinf(), onlyTheInfinite, where(rowMax.isneginf(), zeros_like(z), z));
    }
}
