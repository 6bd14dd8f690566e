using System.Globalization;
using System.Numerics;
using Interop.Tests.Numerics.Exact;

namespace Interop.Tests.Numerics.Tests;

/// <summary>
/// The arithmetic under the exact reference: conversions against .NET's own correctly rounded parsing and
/// narrowing, the four operations against exact rational arithmetic, exp and log against mpmath.
/// </summary>
public class BigFloatTests
{
    private static double RandomDouble(SplitMix64 random)
    {
        double value = BitConverter.Int64BitsToDouble((long)random.NextBits());
        return double.IsFinite(value) ? value : 1.5;
    }

    [Fact]
    public void Doubles_convert_exactly_both_ways_subnormals_included()
    {
        var random = new SplitMix64(1);
        double[] edges = [double.Epsilon, -double.Epsilon, 2.2250738585072009e-308, 2.2250738585072014e-308, double.MaxValue, double.MinValue, 1, -0.1];
        foreach (var value in edges.Concat(Enumerable.Range(0, 20000).Select(_ => RandomDouble(random))))
            Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(BigFloat.FromDouble(value).ToDouble()));
    }

    [Fact]
    public void Rounding_to_float_agrees_with_the_runtime_conversion_from_double()
    {
        // (float)d rounds to nearest, ties to even, subnormals and overflow included: an independent oracle.
        var random = new SplitMix64(2);
        double[] edges = [1.401298464324817e-45, 7.006492321624085e-46, 7.0064923216240862e-46, 3.4028235677973366e+38, 3.4028235677973362e+38, 1 + Math.Pow(2, -24), 1 + 3 * Math.Pow(2, -24)];
        var samples = Enumerable.Range(0, 20000).Select(_ => random.Uniform(-1, 1) * Math.Pow(2, random.Uniform(-160, 140)));
        foreach (var value in edges.Concat(samples))
            Assert.Equal(BitConverter.SingleToInt32Bits((float)value), BitConverter.SingleToInt32Bits(BigFloat.FromDouble(value).ToSingle()));
    }

    /// <summary>significand · 2^exponent and the double it must round to.</summary>
    public static TheoryData<string, long, double> DoubleRoundings() => new()
    {
        { "9007199254740993", -53, 1.0 },                                          // 1 + 2^-53, a tie: to even (down)
        { "40564819207303345351494129942529", -105, 1.0000000000000002 },          // 1 + 2^-53 + 2^-105, just above the tie
        { "9007199254740995", -53, 1.0000000000000004 },                           // 1 + 3·2^-53, a tie: to even (up)
        { "-9007199254740993", -53, -1.0 },
        { "1", -1075, 0.0 },                                                       // half the smallest subnormal: to even (0)
        { "42535295865117307932921825928971026433", -1200, double.Epsilon },       // 2^-1075 + 2^-1200
        { "3", -1075, 1e-323 },                                                    // 1.5 subnormal steps: to 2 (even)
        { "9007199254740991", -1075, 2.2250738585072014e-308 },                    // (2^53 − 1)·2^-1075: a tie, up to the smallest normal
        { "18014398509481983", 970, double.PositiveInfinity },                     // max + half an ulp: a tie, to even (overflow)
        { "18446744073709550591", 960, double.MaxValue },                          // just below it
        { "1", 1024, double.PositiveInfinity },
    };

    [Theory]
    [MemberData(nameof(DoubleRoundings))]
    public void Rounding_to_double_is_to_nearest_with_ties_to_even(string significand, long exponent, double expected) =>
        Assert.Equal(expected, BigFloat.Scale(BigFloat.FromInteger(BigInteger.Parse(significand, CultureInfo.InvariantCulture)), exponent).ToDouble());

    [Fact]
    public void Rounding_decimal_literals_to_double_agrees_with_the_runtime_parser()
    {
        var random = new SplitMix64(3);
        using var precision = BigFloat.UsePrecision(512);
        for (int i = 0; i < 3000; i++)
        {
            var digits = string.Concat(Enumerable.Range(0, 25).Select(_ => (char)('0' + (int)(random.NextDouble() * 10))));
            var literal = $"{(random.NextDouble() < 0.5 ? "-" : "")}{digits[0]}.{digits[1..]}e{(int)random.Uniform(-330, 310)}";
            Assert.Equal(double.Parse(literal, CultureInfo.InvariantCulture), BigFloat.Parse(literal).ToDouble());
            Assert.Equal(float.Parse(literal, CultureInfo.InvariantCulture), BigFloat.Parse(literal).ToSingle());
        }
    }

    [Fact]
    public void Sums_products_and_quotients_are_correctly_rounded()
    {
        // Against exact arithmetic: at 100 000 bits, sums and products of these operands are exact, and the remainder
        // of a quotient can be formed exactly. The rounded result must be within half an ulp, and ties must be even.
        var random = new SplitMix64(4);
        for (int i = 0; i < 2000; i++)
        {
            var a = RandomOperand(random);
            var b = RandomOperand(random);
            BigFloat sum, product, quotient;
            using (BigFloat.UsePrecision(60))
                (sum, product, quotient) = (a + b, a * b, a / b);
            using (BigFloat.UsePrecision(100_000))
            {
                AssertCorrectlyRounded(a + b, sum, 60, $"{a} + {b}");
                AssertCorrectlyRounded(a * b, product, 60, $"{a} · {b}");
                AssertQuotientCorrectlyRounded(a, b, quotient, 60);
            }
        }
    }

    /// <summary>Mostly nearby magnitudes (for cancellation), sometimes far apart (for the sticky bit), up to 200 bits long.</summary>
    private static BigFloat RandomOperand(SplitMix64 random)
    {
        var significand = new BigInteger(random.NextBits()) * new BigInteger(random.NextBits()) * new BigInteger((random.NextBits() >> (int)(random.NextDouble() * 64)) | 1);
        if (random.NextDouble() < 0.5)
            significand = -significand;
        long exponent = random.NextDouble() < 0.8 ? (long)random.Uniform(-140, -120) : (long)random.Uniform(-3000, 3000);
        using (BigFloat.UsePrecision(200))
            return BigFloat.Scale(BigFloat.FromInteger(significand).Rounded(), exponent);
    }

    private static void AssertCorrectlyRounded(BigFloat exact, BigFloat rounded, int bits, string what)
    {
        Assert.True(BigInteger.Abs(rounded.Significand).GetBitLength() <= bits, $"{what}: more than {bits} bits");
        if (exact == rounded)
            return;
        // ulp of the rounded value at `bits` bits; the error must be at most half of it, exactly half only with an even result.
        var ulp = Ulp(rounded, bits);
        var error = BigFloat.Abs(exact - rounded);
        var half = BigFloat.Scale(ulp, -1);
        Assert.True(error < half || (error == half && IsEvenAt(rounded, bits)), $"{what}: error {error} exceeds half an ulp {half}");
    }

    private static void AssertQuotientCorrectlyRounded(BigFloat a, BigFloat b, BigFloat quotient, int bits)
    {
        // |a/b − q| ≤ ulp/2  ⇔  |a − q·b| ≤ |b|·ulp/2, all exact at this precision.
        var residual = BigFloat.Abs(a - quotient * b);
        var bound = BigFloat.Abs(b) * BigFloat.Scale(Ulp(quotient, bits), -1);
        Assert.True(residual < bound || (residual == bound && IsEvenAt(quotient, bits)), $"{a} / {b}: residual {residual} exceeds {bound}");
    }

    /// <summary>The spacing of `bits`-bit numbers at |value| (at a power of two, the spacing above it, the larger one).</summary>
    private static BigFloat Ulp(BigFloat value, int bits)
    {
        long top = value.Exponent + (long)BigInteger.Abs(value.Significand).GetBitLength();
        return BigFloat.Scale(BigFloat.One, top - bits);
    }

    private static bool IsEvenAt(BigFloat value, int bits) =>
        BigInteger.Abs(value.Significand).GetBitLength() < bits;

    public static TheoryData<string, double, string> MpmathValues() => new()
    {
        { "exp", 1, "2.71828182845904523536028747135266249775724709" },
        { "exp", -1, "3.67879441171442321595523770161460867445811131e-1" },
        { "exp", 0.1, "1.10517091807564763094663882345877965774166342" },
        { "exp", 700, "1.01423205473500450945532959523126761520467957e+304" },
        { "exp", -745.25, "2.19804895899369613664179864738932938039185281e-324" },
        { "exp", Math.Pow(2, -60), "1.00000000000000000086736173798840354758212043" },
        { "log", 2, "6.93147180559945309417232121458176568075500134e-1" },
        { "log", 10, "2.30258509299404568401799145468436420760110149" },
        { "log", 1e-300, "-6.90775527898213705180338344570100502908613342e+2" },
        { "log", 0.75, "-2.87682072451780927439219005993827431503509711e-1" },
        { "log", 1 + Math.Pow(2, -50), "8.88178419700124837908452723966987093879771495e-16" },
        { "log", 3 * Math.Pow(2, 1000), "6.94245792848613419108627366695099093780147625e+2" },
    };

    /// <summary>mpmath at 60 digits (Tests/mpmath_literals.py), quoted to 45: agreement to 2^−145, at 128 bits and at 1024.</summary>
    [Theory]
    [MemberData(nameof(MpmathValues))]
    public void Exp_and_log_agree_with_mpmath(string function, double argument, string expected)
    {
        foreach (int bits in new[] { 128, 1024 })
            using (BigFloat.UsePrecision(bits))
            {
                var value = function == "exp" ? BigFloat.Exp(argument) : BigFloat.Log(argument);
                var reference = BigFloat.Parse(expected);
                Assert.True(BigFloat.Abs(value - reference) <= BigFloat.Scale(BigFloat.Abs(reference), -125), $"{function}({argument}) at {bits} bits: {value.ToString(45)}, mpmath {expected}");
            }
    }

    [Fact]
    public void Exp_and_log_are_inverse_and_exp_turns_sums_into_products_to_the_last_bits_of_a_long_precision()
    {
        var random = new SplitMix64(5);
        using var precision = BigFloat.UsePrecision(3000);
        var tolerance = BigFloat.Scale(BigFloat.One, -2990);
        for (int i = 0; i < 12; i++)
        {
            BigFloat a = random.Uniform(-50, 50), b = random.Uniform(-700, 700), positive = Math.Pow(10, random.Uniform(-300, 300));
            Assert.True(BigFloat.Abs(BigFloat.Exp(a + b) / (BigFloat.Exp(a) * BigFloat.Exp(b)) - BigFloat.One) <= tolerance, $"exp({a} + {b})");
            Assert.True(BigFloat.Abs(BigFloat.Exp(BigFloat.Log(positive)) / positive - BigFloat.One) <= tolerance, $"exp(log({positive}))");
            Assert.True(BigFloat.Abs(BigFloat.Log(BigFloat.Exp(b)) - b) <= BigFloat.Scale(BigFloat.Abs(b), -2990), $"log(exp({b}))");
        }
    }

    [Fact]
    public void Exp_is_zero_far_below_any_double_and_refuses_what_no_exponent_could_hold()
    {
        Assert.Equal(BigFloat.Zero, BigFloat.Exp(-BigFloat.ExpArgumentLimit * 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BigFloat.Exp(BigFloat.ExpArgumentLimit * 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BigFloat.Log(BigFloat.Zero));
        Assert.Throws<ArgumentException>(() => BigFloat.FromDouble(double.NaN));
    }

    [Fact]
    public void Roundings_that_drop_a_part_below_twice_the_precision_are_recorded_with_their_depth()
    {
        using var precision = BigFloat.UsePrecision(128);
        var tiny = BigFloat.Scale(BigFloat.One, -300);
        BigFloat.TakeDeepestRounding();

        _ = BigFloat.One + BigFloat.Scale(BigFloat.One, -200);   // dropped, but 2^−200 is above 2^−256: kept at 256 bits
        _ = BigFloat.FromDouble(0.1) * 3;
        Assert.Equal(0, BigFloat.TakeDeepestRounding());

        _ = BigFloat.One + tiny;
        Assert.InRange(BigFloat.TakeDeepestRounding(), 299, 301);
        var onePlusTiny = BigFloat.FromInteger((System.Numerics.BigInteger.One << 300) + 1);
        _ = BigFloat.Scale(BigFloat.One, 300) / onePlusTiny;      // 1/(1 + 2^−300) · 2^300 rounds to 2^300
        Assert.InRange(BigFloat.TakeDeepestRounding(), 299, 301);
        _ = onePlusTiny * 3;
        Assert.InRange(BigFloat.TakeDeepestRounding(), 299, 301);
        Assert.Equal(0, BigFloat.TakeDeepestRounding());
    }

    [Theory]
    [InlineData(1.0 / 3, 20, "3.3333333333333331483e-1")]
    [InlineData(-2.5e-300, 3, "-2.50e-300")]
    [InlineData(9.9999, 3, "1.00e1")]
    [InlineData(123456789, 1, "1e8")]
    public void Decimal_text_is_the_exact_binary_value_rounded(double value, int digits, string expected) =>
        Assert.Equal(expected, BigFloat.FromDouble(value).ToString(digits));
}
