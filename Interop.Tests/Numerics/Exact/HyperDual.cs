namespace Interop.Tests.Numerics.Exact;

/// <summary>
/// A hyper-dual number a + b ε₁ + c ε₂ + d ε₁ε₂ with ε₁² = ε₂² = 0: evaluating a function f on x + u ε₁ + v ε₂ gives
/// f(x) + f′(x)·u ε₁ + f′(x)·v ε₂ + (f′′(x)[u, v]) ε₁ε₂, the value, two directional derivatives and the mixed second
/// derivative, all exact (no step size, no truncation). The exact reference differentiates the five maps this way, so
/// that no derivative in it is derived by hand.
/// </summary>
public readonly record struct HyperDual(BigFloat Value, BigFloat E1, BigFloat E2, BigFloat E12)
{
    /// <summary>A constant: no derivative in either direction.</summary>
    public static HyperDual Constant(BigFloat value) => new(value, BigFloat.Zero, BigFloat.Zero, BigFloat.Zero);

    public static HyperDual operator -(HyperDual a) => new(-a.Value, -a.E1, -a.E2, -a.E12);

    public static HyperDual operator +(HyperDual a, HyperDual b) => new(a.Value + b.Value, a.E1 + b.E1, a.E2 + b.E2, a.E12 + b.E12);

    public static HyperDual operator -(HyperDual a, HyperDual b) => a + -b;

    public static HyperDual operator *(HyperDual a, HyperDual b) => new(
        a.Value * b.Value,
        a.Value * b.E1 + a.E1 * b.Value,
        a.Value * b.E2 + a.E2 * b.Value,
        a.Value * b.E12 + a.E1 * b.E2 + a.E2 * b.E1 + a.E12 * b.Value);

    public static HyperDual operator /(HyperDual a, HyperDual b) => a * Reciprocal(b);

    /// <summary>1/x, with (1/x)′ = −1/x² and (1/x)′′ = 2/x³.</summary>
    public static HyperDual Reciprocal(HyperDual x)
    {
        var inverse = BigFloat.One / x.Value;
        var first = -(inverse * inverse);
        var second = -2.0 * first * inverse;
        return Apply(x, inverse, first, second);
    }

    /// <summary>e^x, its own first and second derivative.</summary>
    public static HyperDual Exp(HyperDual x)
    {
        var value = BigFloat.Exp(x.Value);
        return Apply(x, value, value, value);
    }

    /// <summary>log x, with log′ = 1/x and log′′ = −1/x².</summary>
    public static HyperDual Log(HyperDual x)
    {
        var inverse = BigFloat.One / x.Value;
        return Apply(x, BigFloat.Log(x.Value), inverse, -(inverse * inverse));
    }

    /// <summary>f(x) from f, f′ and f′′ at x.Value: the chain rule to second order.</summary>
    private static HyperDual Apply(HyperDual x, BigFloat value, BigFloat first, BigFloat second) => new(
        value,
        first * x.E1,
        first * x.E2,
        first * x.E12 + second * x.E1 * x.E2);
}
