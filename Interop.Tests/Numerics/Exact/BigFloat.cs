using System.Globalization;
using System.Numerics;
using System.Text;

namespace Interop.Tests.Numerics.Exact;

/// <summary>
/// A binary floating-point number with a significand of any length: the value is <see cref="Significand"/> · 2^<see cref="Exponent"/>.
/// Every operation rounds its exact result once, to nearest with ties to even, to <see cref="Precision"/> bits; conversion
/// from double and float is exact, and conversion back rounds correctly (subnormals and overflow included). It has no
/// infinities and no NaN: the exact reference meets neither.
/// </summary>
/// <remarks>
/// The precision is ambient (per thread) so that formulas read like formulas: <c>using (BigFloat.UsePrecision(512)) { … }</c>.
/// The representation is canonical (an odd significand, or zero with exponent 0), so equal values are equal structs.
/// <para>
/// Each thread also records its deepest rounding (see <see cref="TakeDeepestRounding"/>): a rounding that drops a part
/// smaller than 2^−2p of the value at precision p, like 1 + 2^−1000 rounded to 1. Such a part would be dropped at twice
/// the precision too, so comparing two precisions would not reveal its loss; the exact reference asks for it instead.
/// </para>
/// </remarks>
public readonly struct BigFloat : IEquatable<BigFloat>, IComparable<BigFloat>
{
    /// <summary>The precision outside any <see cref="UsePrecision"/> scope, in bits.</summary>
    public const int DefaultPrecision = 256;

    /// <summary>
    /// exp(z) for z below −2^30 is taken as 0 and above 2^30 is refused. The true value, under 2^−1,500,000,000, cannot
    /// show in any double or float, even multiplied by the largest finite doubles, and it keeps exponents in an int.
    /// </summary>
    public const double ExpArgumentLimit = 1 << 30;

    [ThreadStatic] private static int precision;

    [ThreadStatic] private static long deepestRounding;

    /// <summary>The significand, signed; odd unless the value is zero.</summary>
    public BigInteger Significand { get; }

    /// <summary>The power of two that the significand is scaled by.</summary>
    public long Exponent { get; }

    private BigFloat(BigInteger significand, long exponent)
    {
        if (significand.IsZero)
        {
            Significand = BigInteger.Zero;
            Exponent = 0;
            return;
        }
        long trailingZeros = (long)BigInteger.TrailingZeroCount(significand);
        Significand = significand >> (int)trailingZeros;
        Exponent = exponent + trailingZeros;
    }

    /// <summary>Bits of significand that operations round to on this thread.</summary>
    public static int Precision => precision == 0 ? DefaultPrecision : precision;

    /// <summary>Sets <see cref="Precision"/> on this thread until the returned scope is disposed.</summary>
    public static IDisposable UsePrecision(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 24);
        var scope = new PrecisionScope(precision);
        precision = bits;
        return scope;
    }

    private sealed class PrecisionScope(int previous) : IDisposable
    {
        public void Dispose() => precision = previous;
    }

    /// <summary>
    /// The highest precision that <see cref="Exp"/> and <see cref="Log"/> work at internally for a result of
    /// <paramref name="bits"/> bits (their guard bits included).
    /// </summary>
    public static int WorkingPrecision(int bits) => bits + 96 + (int)Math.Sqrt(bits);

    /// <summary>
    /// The depth, in bits, of the deepest rounding on this thread since the last call (0 if none), and starts over.
    /// The depth of a rounding is log2(|value| / |part dropped|); only depths of at least twice the precision of that
    /// rounding are recorded.
    /// </summary>
    public static long TakeDeepestRounding()
    {
        long depth = deepestRounding;
        deepestRounding = 0;
        return depth;
    }

    private static void RecordRounding(long depth, int bits)
    {
        if (depth >= 2L * bits && depth > deepestRounding)
            deepestRounding = depth;
    }

    public static BigFloat Zero => default;

    public static BigFloat One => new(BigInteger.One, 0);

    public bool IsZero => Significand.IsZero;

    public int Sign => Significand.Sign;

    /// <summary>The power of two just above |value|: 2^(TopExponent − 1) ≤ |value| &lt; 2^TopExponent. Undefined for zero.</summary>
    private long TopExponent => Exponent + (long)BigInteger.Abs(Significand).GetBitLength();

    /// <summary>The exact value of a finite double.</summary>
    public static BigFloat FromDouble(double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"BigFloat has no infinity or NaN; got {value}.", nameof(value));
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biased = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & 0xF_FFFF_FFFF_FFFF;
        BigInteger significand = biased == 0 ? fraction : fraction | (1L << 52);
        return new BigFloat(bits < 0 ? -significand : significand, (biased == 0 ? 1 : biased) - 1075);
    }

    /// <summary>The exact value of an integer (not rounded to <see cref="Precision"/>).</summary>
    public static BigFloat FromInteger(BigInteger value) => new(value, 0);

    /// <summary>m · 2^e, exactly.</summary>
    public static BigFloat Scale(BigFloat value, long powerOfTwo) => new(value.Significand, value.Exponent + powerOfTwo);

    /// <summary>The value rounded to <see cref="Precision"/> bits.</summary>
    public BigFloat Rounded() => Round(Significand, Exponent, Precision);

    public static implicit operator BigFloat(double value) => FromDouble(value);

    public static BigFloat operator -(BigFloat a) => new(-a.Significand, a.Exponent);

    public static BigFloat operator +(BigFloat a, BigFloat b)
    {
        if (a.IsZero)
            return b.Rounded();
        if (b.IsZero)
            return a.Rounded();
        if (a.TopExponent < b.TopExponent)
            (a, b) = (b, a);
        // A b entirely below both a's last bit and a's rounding position only matters as a sticky bit: replace it by
        // a tiny value of its sign, just as far below, which rounds the sum the same way and keeps the shifts short.
        long sticky = Math.Min(a.Exponent, a.TopExponent - Precision - 3);
        bool dropsB = b.TopExponent < sticky;
        if (dropsB)
        {
            RecordRounding(a.TopExponent - b.TopExponent, Precision);
            b = new BigFloat(b.Sign, sticky - 2);
        }
        long exponent = Math.Min(a.Exponent, b.Exponent);
        var sum = (a.Significand << (int)(a.Exponent - exponent)) + (b.Significand << (int)(b.Exponent - exponent));
        return Round(sum, exponent, Precision, recordDepth: !dropsB);
    }

    public static BigFloat operator -(BigFloat a, BigFloat b) => a + -b;

    public static BigFloat operator *(BigFloat a, BigFloat b) =>
        Round(a.Significand * b.Significand, a.Exponent + b.Exponent, Precision);

    public static BigFloat operator /(BigFloat a, BigFloat b)
    {
        if (b.IsZero)
            throw new DivideByZeroException("BigFloat division by zero.");
        if (a.IsZero)
            return Zero;
        // Enough quotient bits for the precision plus a guard bit; a nonzero remainder becomes a sticky bit.
        var numerator = BigInteger.Abs(a.Significand);
        var denominator = BigInteger.Abs(b.Significand);
        int shift = (int)Math.Max(0, Precision + 2 - (long)numerator.GetBitLength() + (long)denominator.GetBitLength());
        var quotient = BigInteger.DivRem(numerator << shift, denominator, out var remainder);
        quotient = (quotient << 1) + (remainder.IsZero ? 0 : 1);
        var result = Round(a.Sign * b.Sign * quotient, a.Exponent - b.Exponent - shift - 1, Precision, recordDepth: false);
        // The part dropped is (a − result·b)/b; the residual a − result·b is exact in integers.
        var product = result.Significand * b.Significand;
        long productExponent = result.Exponent + b.Exponent;
        long lowest = Math.Min(a.Exponent, productExponent);
        var residual = (a.Significand << (int)(a.Exponent - lowest)) - (product << (int)(productExponent - lowest));
        if (!residual.IsZero)
            RecordRounding(result.TopExponent + b.TopExponent - (lowest + (long)BigInteger.Abs(residual).GetBitLength()), Precision);
        return result;
    }

    public static bool operator <(BigFloat a, BigFloat b) => a.CompareTo(b) < 0;

    public static bool operator >(BigFloat a, BigFloat b) => a.CompareTo(b) > 0;

    public static bool operator <=(BigFloat a, BigFloat b) => a.CompareTo(b) <= 0;

    public static bool operator >=(BigFloat a, BigFloat b) => a.CompareTo(b) >= 0;

    public static bool operator ==(BigFloat a, BigFloat b) => a.Equals(b);

    public static bool operator !=(BigFloat a, BigFloat b) => !a.Equals(b);

    public static BigFloat Abs(BigFloat a) => a.Sign < 0 ? -a : a;

    public static BigFloat Max(BigFloat a, BigFloat b) => a >= b ? a : b;

    /// <summary>The nearest integer, ties to even.</summary>
    public static BigInteger RoundToInteger(BigFloat a)
    {
        if (a.Exponent >= 0)
            return a.Significand << (int)a.Exponent;
        var magnitude = RoundShift(BigInteger.Abs(a.Significand), -a.Exponent);
        return a.Sign * magnitude;
    }

    /// <summary>e^x, correctly rounded except in the rarest near-ties (computed with guard bits, then rounded once).</summary>
    /// <remarks>
    /// x = k ln 2 + r with |r| ≤ ln 2 / 2, then e^r = (e^(r/2^s))^(2^s) with the Taylor series for the small argument.
    /// Squaring s times doubles the relative error s times, so s extra guard bits pay for it.
    /// </remarks>
    public static BigFloat Exp(BigFloat x)
    {
        if (x.IsZero)
            return One;
        if (x < -ExpArgumentLimit)
            return Zero;
        if (x > ExpArgumentLimit)
            throw new ArgumentOutOfRangeException(nameof(x), $"BigFloat.Exp: the argument must be at most 2^30; got {x.ToDouble():R}.");
        int target = Precision;
        int squarings = (int)Math.Sqrt(target);
        BigFloat result;
        long k;
        using (UsePrecision(WorkingPrecision(target) - 32))
        {
            var ln2 = Ln2(Precision + 32);
            k = (long)RoundToInteger(x / ln2);
            var r = Scale(x - k * ln2, -squarings);
            BigFloat sum = One, term = One;
            var smallest = Scale(One, -Precision - 8);
            for (int n = 1; Abs(term) > smallest; n++)
            {
                term = term * r / n;
                sum += term;
            }
            for (int i = 0; i < squarings; i++)
                sum *= sum;
            result = sum;
        }
        return Scale(result, k).Rounded();
    }

    /// <summary>The natural logarithm of a positive x, computed with guard bits and rounded once.</summary>
    /// <remarks>x = f · 2^j with f in [√½, √2), and log f = 2 atanh((f − 1)/(f + 1)), whose series converges by more than 5 bits a term.</remarks>
    public static BigFloat Log(BigFloat x)
    {
        if (x.Sign <= 0)
            throw new ArgumentOutOfRangeException(nameof(x), $"BigFloat.Log: the argument must be positive; got {x.ToDouble():R}.");
        int target = Precision;
        BigFloat result;
        using (UsePrecision(target + 64))
        {
            long j = x.TopExponent;
            var f = Scale(x, -j);
            if (f < Sqrt2Over2)
            {
                f = Scale(f, 1);
                j--;
            }
            var t = (f - One) / (f + One);
            var t2 = t * t;
            BigFloat sum = t, power = t;
            var smallest = Scale(One, -Precision - 8);
            for (int n = 3; Abs(power) > smallest; n += 2)
            {
                power *= t2;
                sum += power / n;
            }
            result = Scale(sum, 1) + j * Ln2(Precision + 32);
        }
        return result.Rounded();
    }

    /// <summary>√½ to 64 bits, which is all the range split in <see cref="Log"/> needs.</summary>
    private static readonly BigFloat Sqrt2Over2 = FromDouble(Math.Sqrt(0.5));

    private static readonly Dictionary<int, BigFloat> Ln2Cache = [];

    /// <summary>ln 2 = 2 atanh(1/3) = 2 Σ 1/((2n + 1) 3^(2n+1)), to <paramref name="bits"/> bits, cached.</summary>
    private static BigFloat Ln2(int bits)
    {
        lock (Ln2Cache)
        {
            if (Ln2Cache.TryGetValue(bits, out var cached))
                return cached;
        }
        BigFloat ln2;
        using (UsePrecision(bits + 16))
        {
            BigFloat sum = Zero, power = One / 3;
            var ninth = One / 9;
            var smallest = Scale(One, -Precision - 8);
            for (int n = 1; power > smallest; n += 2)
            {
                sum += power / n;
                power *= ninth;
            }
            ln2 = Scale(sum, 1);
        }
        using (UsePrecision(bits))
            ln2 = ln2.Rounded();
        lock (Ln2Cache)
            Ln2Cache[bits] = ln2;
        return ln2;
    }

    /// <summary>The double nearest to the value, ties to even; ±∞ beyond the largest finite double, subnormals exact.</summary>
    public double ToDouble()
    {
        var (significand, quantum, overflow) = RoundToFormat(53, -1074, 1024);
        if (overflow)
            return Sign < 0 ? double.NegativeInfinity : double.PositiveInfinity;
        if (significand.IsZero)
            return Sign < 0 ? -0.0 : 0.0;
        // significand · 2^quantum with significand < 2^53: a normal double when significand ≥ 2^52, else a subnormal.
        long magnitude = (long)significand;
        long biased = magnitude >= 1L << 52 ? quantum + 1075 : 0;
        long bits = (biased << 52) | (magnitude & 0xF_FFFF_FFFF_FFFF);
        return BitConverter.Int64BitsToDouble(Sign < 0 ? bits | long.MinValue : bits);
    }

    /// <summary>The float nearest to the value, ties to even; ±∞ beyond the largest finite float, subnormals exact.</summary>
    public float ToSingle()
    {
        var (significand, quantum, overflow) = RoundToFormat(24, -149, 128);
        if (overflow)
            return Sign < 0 ? float.NegativeInfinity : float.PositiveInfinity;
        if (significand.IsZero)
            return Sign < 0 ? -0.0f : 0.0f;
        int magnitude = (int)significand;
        int biased = magnitude >= 1 << 23 ? (int)quantum + 150 : 0;
        int bits = (biased << 23) | (magnitude & 0x7F_FFFF);
        return BitConverter.Int32BitsToSingle(Sign < 0 ? bits | int.MinValue : bits);
    }

    /// <summary>
    /// Rounds |value| to a binary format with <paramref name="significandBits"/> bits, whose smallest step is
    /// 2^<paramref name="minQuantum"/> and whose values stay below 2^<paramref name="maxTop"/>: the result is
    /// significand · 2^quantum with significand &lt; 2^significandBits, or an overflow.
    /// </summary>
    private (BigInteger Significand, long Quantum, bool Overflow) RoundToFormat(int significandBits, long minQuantum, long maxTop)
    {
        if (IsZero)
            return (BigInteger.Zero, minQuantum, false);
        long quantum = Math.Max(TopExponent - significandBits, minQuantum);
        var significand = RoundShift(BigInteger.Abs(Significand), quantum - Exponent);
        if (significand.GetBitLength() > significandBits)
        {
            significand >>= 1;
            quantum++;
        }
        return (significand, quantum, quantum + (long)significand.GetBitLength() > maxTop);
    }

    /// <summary>
    /// The value in decimal scientific notation with <paramref name="digits"/> significant digits, rounded to
    /// nearest (for reports; it reads the exact binary value).
    /// </summary>
    public string ToString(int digits)
    {
        if (IsZero)
            return "0";
        // Scale |value| by a power of ten so that it has `digits` digits before the point, then round to an integer.
        long decimalExponent = (long)Math.Floor((TopExponent - 1) * Math.Log10(2));
        BigInteger scaled;
        while (true)
        {
            scaled = ScaledByPowerOfTen(digits - 1 - decimalExponent);
            int length = scaled.ToString(CultureInfo.InvariantCulture).Length;
            if (length == digits)
                break;
            decimalExponent += length - digits;
        }
        var text = scaled.ToString(CultureInfo.InvariantCulture);
        var builder = new StringBuilder();
        if (Sign < 0)
            builder.Append('-');
        builder.Append(text[0]);
        if (digits > 1)
            builder.Append('.').Append(text, 1, digits - 1);
        builder.Append('e').Append(decimalExponent.ToString(CultureInfo.InvariantCulture));
        return builder.ToString();
    }

    /// <summary>round(|value| · 10^power), exactly.</summary>
    private BigInteger ScaledByPowerOfTen(long power)
    {
        var numerator = BigInteger.Abs(Significand);
        var denominator = BigInteger.One;
        if (power >= 0)
            numerator *= BigInteger.Pow(10, (int)power);
        else
            denominator *= BigInteger.Pow(10, (int)-power);
        if (Exponent >= 0)
            numerator <<= (int)Exponent;
        else
            denominator <<= (int)-Exponent;
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder << 1;
        return twice > denominator || (twice == denominator && !quotient.IsEven) ? quotient + 1 : quotient;
    }

    /// <summary>Parses a decimal literal such as "-1.0886e-19", rounded once to <see cref="Precision"/>.</summary>
    public static BigFloat Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var mantissaAndExponent = text.Trim().ToLowerInvariant().Split('e');
        var mantissa = mantissaAndExponent[0];
        long exponent = mantissaAndExponent.Length > 1 ? long.Parse(mantissaAndExponent[1], CultureInfo.InvariantCulture) : 0;
        int point = mantissa.IndexOf('.');
        if (point >= 0)
        {
            exponent -= mantissa.Length - point - 1;
            mantissa = mantissa.Remove(point, 1);
        }
        var digits = FromInteger(BigInteger.Parse(mantissa, CultureInfo.InvariantCulture));
        var power = FromInteger(BigInteger.Pow(10, (int)Math.Abs(exponent)));
        return exponent >= 0 ? digits * power : digits / power;
    }

    public override string ToString() => ToString(20);

    public bool Equals(BigFloat other) => Significand == other.Significand && Exponent == other.Exponent;

    public override bool Equals(object? obj) => obj is BigFloat other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Significand, Exponent);

    public int CompareTo(BigFloat other)
    {
        if (Sign != other.Sign)
            return Sign.CompareTo(other.Sign);
        if (IsZero)
            return 0;
        int magnitude = TopExponent != other.TopExponent
            ? TopExponent.CompareTo(other.TopExponent)
            : CompareAligned(BigInteger.Abs(Significand), Exponent, BigInteger.Abs(other.Significand), other.Exponent);
        return Sign * magnitude;
    }

    /// <summary>Compares a · 2^ea with b · 2^eb for values with the same top exponent (so the shift is short).</summary>
    private static int CompareAligned(BigInteger a, long ea, BigInteger b, long eb)
    {
        long exponent = Math.Min(ea, eb);
        return (a << (int)(ea - exponent)).CompareTo(b << (int)(eb - exponent));
    }

    /// <summary>
    /// significand · 2^exponent rounded to <paramref name="bits"/> bits, to nearest with ties to even; a deep rounding
    /// is recorded unless the caller accounts for it itself.
    /// </summary>
    private static BigFloat Round(BigInteger significand, long exponent, int bits, bool recordDepth = true)
    {
        var exact = BigInteger.Abs(significand);
        long length = (long)exact.GetBitLength();
        long excess = length - bits;
        if (excess <= 0)
            return new BigFloat(significand, exponent);
        var magnitude = RoundShift(exact, excess);
        if (recordDepth)
        {
            var dropped = BigInteger.Abs(exact - (magnitude << (int)excess));
            if (!dropped.IsZero)
                RecordRounding(length - (long)dropped.GetBitLength(), bits);
        }
        return new BigFloat(significand.Sign * magnitude, exponent + excess);
    }

    /// <summary>round(magnitude / 2^shift) for a non-negative magnitude, ties to even.</summary>
    private static BigInteger RoundShift(BigInteger magnitude, long shift)
    {
        if (shift <= 0)
            return magnitude << (int)-shift;
        if (shift > magnitude.GetBitLength() + 1)
            return BigInteger.Zero;
        var quotient = magnitude >> (int)shift;
        var remainder = magnitude - (quotient << (int)shift);
        var half = BigInteger.One << (int)(shift - 1);
        return remainder > half || (remainder == half && !quotient.IsEven) ? quotient + 1 : quotient;
    }
}
