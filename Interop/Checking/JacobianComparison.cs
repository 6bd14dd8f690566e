using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>Compares two Jacobians of one (output, input) pair, or two projections of it, into a <see cref="JacobianPairResult"/>.</summary>
internal static class JacobianComparison
{
    /// <summary>Which pair is being compared: order, indices, names, and the output's rank (to split a Jacobian index).</summary>
    public readonly record struct Pair(int Order, int OutputIndex, string Output, int InputIndex, string Input, int OutputRank);

    /// <summary>Element by element; the worst element is the one with the largest |actual − expected| / tolerance.</summary>
    public static JacobianPairResult Elementwise(Pair pair, Tensor expected, Tensor actual, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        if (expected.numel() == 0)
            return Result(pair, true, false, 0, 0, [], [], 0, 0, atol);

        var e = expected.to(ScalarType.Float64);
        var a = actual.to(ScalarType.Float64);
        var error = (a - e).abs();
        using var relativeTolerance = rtol.ToScalar();
        using var absoluteTolerance = atol.ToScalar();
        var bound = e.abs().mul_(relativeTolerance).add_(absoluteTolerance, HeldScalars.One);
        // A NaN anywhere fails the comparison (NaN ≤ bound is false) and, being the largest for argmax, is the worst element.
        bool passed = error.le(bound).all().ToBoolean();
        var zero = zeros_like(error);
        var share = where(error.eq(HeldScalars.Zero), zero, error / bound);
        var relative = where(error.eq(HeldScalars.Zero), zero, error / e.abs());
        long worst = share.reshape(-1).argmax().ToInt64();
        var index = Unravel(worst, e.shape);
        return Result(
            pair, passed, false,
            error.max().ToDouble(), relative.max().ToDouble(),
            index[..pair.OutputRank], index[pair.OutputRank..],
            e.reshape(-1)[worst].ToDouble(), a.reshape(-1)[worst].ToDouble(), bound.reshape(-1)[worst].ToDouble());
    }

    /// <summary>
    /// Fast mode: two scalars vᵀ J u. The tolerance is atol · Σu · Σv + rtol · |expected|: the projection of a matrix
    /// whose every element is atol, plus the relative part.
    /// </summary>
    public static JacobianPairResult Projection(Pair pair, double expected, double actual, double atolScale, double atol, double rtol)
    {
        double error = Math.Abs(actual - expected);
        double bound = atol * atolScale + rtol * Math.Abs(expected);
        double relative = error == 0 ? 0 : error / Math.Abs(expected);
        return Result(pair, error <= bound, true, error, relative, null, null, expected, actual, bound);
    }

    private static JacobianPairResult Result(
        Pair pair, bool passed, bool projected, double maxAbs, double maxRel, long[]? outputIndex, long[]? inputIndex,
        double expected, double actual, double tolerance) =>
        new(pair.Order, pair.OutputIndex, pair.Output, pair.InputIndex, pair.Input, passed, projected, maxAbs, maxRel,
            outputIndex, inputIndex, expected, actual, tolerance);

    private static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
