using Interop.Tests.Numerics.Exact;

namespace Interop.Tests.Numerics.Grid;

/// <summary>Where an exact value falls in the format it is compared in.</summary>
public enum ExactClass
{
    /// <summary>Exactly zero: the result must be +0 or −0.</summary>
    Zero,

    /// <summary>Rounds to a normal number: judged by relative error (float64) or ulps (float32).</summary>
    Normal,

    /// <summary>Nonzero but rounds below the normal range (to a subnormal or to 0): measured the same way; the goals only ask for a finite result.</summary>
    BelowNormal,

    /// <summary>Beyond the format's range: the result must be the same infinity.</summary>
    Infinite,
}

/// <summary>One element of a result against its exact value.</summary>
/// <param name="Class">Where the exact value falls.</param>
/// <param name="Error">
/// For Normal and BelowNormal: float64, |actual − exact| / max(|exact|, smallest normal), computed exactly; float32,
/// the distance in ulps from the float32 rounding of the exact value (the number of floats in between, plus one).
/// For Zero and Infinite: 0 when the result is right. +∞ whenever the result is wrong in kind: NaN, an infinity where
/// the exact value is finite, a finite value where it is infinite, or nonzero where it is exactly zero.
/// </param>
public readonly record struct ElementError(ExactClass Class, double Error)
{
    public bool IsWrongInKind => double.IsPositiveInfinity(Error);
}

/// <summary>The comparison of results with exact values, element by element.</summary>
public static class Accuracy
{
    private const double SmallestNormalDouble = 2.2250738585072014e-308;

    private const float SmallestNormalFloat = 1.17549435e-38f;

    public static ElementError Compare(double actual, BigFloat exact, bool float32)
    {
        if (exact.IsZero)
            return new(ExactClass.Zero, actual == 0 ? 0 : double.PositiveInfinity);
        double rounded = float32 ? exact.ToSingle() : exact.ToDouble();
        if (double.IsInfinity(rounded))
            return new(ExactClass.Infinite, actual == rounded ? 0 : double.PositiveInfinity);
        var exactClass = Math.Abs(rounded) >= (float32 ? SmallestNormalFloat : SmallestNormalDouble) ? ExactClass.Normal : ExactClass.BelowNormal;
        if (!double.IsFinite(actual))
            return new(exactClass, double.PositiveInfinity);
        return new(exactClass, float32 ? UlpDistance((float)actual, (float)rounded) : RelativeError(actual, exact));
    }

    /// <summary>|actual − exact| / max(|exact|, 2^−1022), exactly, rounded to a double.</summary>
    public static double RelativeError(double actual, BigFloat exact)
    {
        using (BigFloat.UsePrecision(64))
            return (BigFloat.Abs(BigFloat.FromDouble(actual) - exact) / BigFloat.Max(BigFloat.Abs(exact), BigFloat.FromDouble(SmallestNormalDouble))).ToDouble();
    }

    /// <summary>How many steps apart two finite floats are on the ordered line of floats (±0 are the same point).</summary>
    public static double UlpDistance(float a, float b) => Math.Abs((double)(Ordinal(a) - Ordinal(b)));

    /// <summary>How many steps apart two finite doubles are on the ordered line of doubles (±0 are the same point).</summary>
    public static double UlpDistance(double a, double b) => (double)Int128.Abs((Int128)Ordinal(a) - Ordinal(b));

    private static long Ordinal(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits >= 0 ? bits : -(long)(bits & int.MaxValue);
    }

    private static long Ordinal(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        return bits >= 0 ? bits : -(bits & long.MaxValue);
    }
}
