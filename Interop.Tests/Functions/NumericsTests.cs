using Interop.Checking;
using Interop.Functions;
using Interop.Reference;
using Interop.Tests.Numerics.Exact;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>The behaviour that docs/numerics.md tables: extreme magnitudes, infinities and NaN, in float32 and float64.</summary>
public class NumericsTests
{
    private const double Inf = double.PositiveInfinity;

    public static TheoryData<string, ScalarType, double> Magnitudes()
    {
        var data = new TheoryData<string, ScalarType, double>();
        foreach (var map in ModuleMap.All)
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
                foreach (var betaX in new[] { 1e-8, 1, 80, 700, 1e4 })
                    foreach (var sign in new[] { 1, -1 })
                        data.Add(map.Name, dtype, sign * betaX);
        return data;
    }

    /// <summary>
    /// x is chosen so that β·x takes the values ±m, ±m/2 and 0 in each row. The expected values are the exact ones at
    /// the inputs rounded to the dtype under test (the float64 twin's at |β x| = 1e4), rounded to that dtype: finite
    /// wherever they are representable, ±∞ exactly where they are not.
    /// </summary>
    [Theory]
    [MemberData(nameof(Magnitudes))]
    public void Outputs_and_gradients_are_right_and_finite_wherever_the_math_is_representable(string module, ScalarType dtype, double betaX)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        const double beta = 2.0;
        var x64 = tensor(new[] { 1, -1, 0.5, -0.5, 0, 1, 0.5, 0, -0.5, -1 }, [2, 5], ScalarType.Float64) * (betaX / beta);
        var parameter64 = map.MakeParameter(beta, 5);
        // A positive upstream gradient: where exp overflows, terms of one sign add up to ±∞ in the reference too.
        var upstream64 = rand(map.Twin(x64, parameter64).shape, ScalarType.Float64, generator: new Generator(21)).add_(0.1);

        var (x, parameter, upstream) = (x64.to(dtype), parameter64.to(dtype), upstream64.to(dtype));
        // Past |β x| = 1e3 the exact reference would need more than its 16384 bits (e^−5000 next to 1); there every
        // weight but the dominant one is far below the smallest subnormal, and the float64 twin is exact as well.
        var expected = Math.Abs(betaX) <= 1e3 ? ExactGradients.Of(module, x, parameter, upstream)
            : MapGradients.Of(ReferenceTwin.For(map), x64, parameter64, upstream64);
        var actual = MapGradients.Of(map.Function, x, parameter, upstream);

        double rtol = dtype == ScalarType.Float64 ? 1e-12 : 1e-4;
        AssertMatchesWhereRepresentable(expected.Output, actual.Output, dtype, rtol, $"{module} y");
        AssertMatchesWhereRepresentable(expected.GradX, actual.GradX, dtype, rtol, $"{module} ∂E/∂x");
        AssertMatchesWhereRepresentable(expected.GradParameter, actual.GradParameter, dtype, rtol, $"{module} ∂E/∂{map.ParameterName}");
    }

    private static void AssertMatchesWhereRepresentable(Tensor expected64, Tensor actual, ScalarType dtype, double rtol, string what)
    {
        Assert.False(expected64.isnan().any().ToBoolean(), $"{what}: the float64 reference has NaN");
        var expected = expected64.to(dtype).to(ScalarType.Float64);
        var actual64 = actual.to(ScalarType.Float64);
        var finite = expected.isfinite();
        Assert.True(actual64.isfinite().equal(finite).all().ToBoolean(),
            $"{what}: finite pattern differs: got {Show(actual64)}, expected {Show(expected)}");
        Assert.True(actual64.masked_select(finite.logical_not()).equal(expected.masked_select(finite.logical_not())).all().ToBoolean(),
            $"{what}: infinities differ: got {Show(actual64)}, expected {Show(expected)}");
        if (finite.any().ToBoolean())
            TensorAssert.Close(expected.masked_select(finite), actual64.masked_select(finite), rtol, what);
    }

    private static string Show(Tensor t) => string.Join(", ", t.flatten().data<double>().ToArray().Select(v => v.ToString("G4")));

    public static TheoryData<ScalarType> Dtypes() => new() { ScalarType.Float32, ScalarType.Float64 };

    /// <summary>Runs a map on a [2, N] batch with a fixed random upstream gradient.</summary>
    private static MapGradients Run(ModuleMap map, double[] row0, double[] row1, double parameter, ScalarType dtype, int seed = 31)
    {
        var x = tensor(row0.Concat(row1).ToArray(), [2, row0.Length], dtype);
        var p = map.MakeParameter(parameter, row0.Length, dtype);
        var upstream = randn(map.Twin(zeros_like(x), p).shape, ScalarType.Float64, generator: new Generator((ulong)seed)).to(dtype);
        return MapGradients.Of(map.Function, x, p, upstream);
    }

    private static double Rtol(ScalarType dtype) => dtype == ScalarType.Float64 ? 1e-12 : 1e-5;

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Softmax_gives_weight_zero_to_an_entry_whose_logit_is_minus_infinity(ScalarType dtype)
    {
        // With β > 0 the logit −β x is −∞ at x = +∞: the row behaves as if that entry were absent.
        var withInf = Run(ModuleMap.Softmax, [0.3, Inf, -1.2, 2.0], [1, 2, 3, 4], 1.5, dtype);
        var without = Run(ModuleMap.Softmax, [0.3, -1.2, 2.0], [1, 2, 3], 1.5, dtype);
        Assert.Equal(0.0, withInf.Output[0, 1].ToDouble());
        Assert.Equal(0.0, withInf.GradX[0, 1].ToDouble());
        AssertRowWithoutColumn(without.Output[0], withInf.Output[0], 1, dtype, "y");
        TensorAssert.AllFinite(withInf.GradX, "∂E/∂x");
        TensorAssert.AllFinite(withInf.GradParameter, "∂E/∂β");
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void LogSum_ignores_an_entry_whose_logit_is_minus_infinity(ScalarType dtype)
    {
        var x = tensor(new[] { 0.3, Inf, -1.2, 2.0 }, dtype);
        var kept = tensor(new[] { 0.3, -1.2, 2.0 }, dtype);
        var beta = tensor(1.5, dtype);
        var withInf = MapGradients.Of(LogSumFunction.apply, x, beta);
        var without = MapGradients.Of(LogSumFunction.apply, kept, beta);
        TensorAssert.Close(without.Output, withInf.Output, Rtol(dtype), "y");
        TensorAssert.Close(without.GradParameter, withInf.GradParameter, Rtol(dtype), "∂y/∂β");
        AssertRowWithoutColumn(without.GradX, withInf.GradX, 1, dtype, "∂y/∂x");
        Assert.Equal(0.0, withInf.GradX[1].ToDouble());
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void A_row_whose_logits_are_all_minus_infinity_behaves_as_a_row_of_equal_values(ScalarType dtype)
    {
        // All x = +∞ with β > 0. PyTorch's softmax returns NaN here; the limit of equal inputs is the uniform distribution.
        var infinite = Run(ModuleMap.Softmax, [Inf, Inf, Inf, Inf], [1, 2, 3, 4], 0.8, dtype);
        var equal = Run(ModuleMap.Softmax, [5, 5, 5, 5], [1, 2, 3, 4], 0.8, dtype);
        TensorAssert.Close(equal.Output, infinite.Output, Rtol(dtype), "softmax y");
        TensorAssert.Close(equal.GradX, infinite.GradX, Rtol(dtype), "softmax ∂E/∂x");
        TensorAssert.Close(equal.GradParameter, infinite.GradParameter, 1e-5, "softmax ∂E/∂β");

        var logSum = MapGradients.Of(LogSumFunction.apply, full(4, Inf, dtype), tensor(0.8, dtype));
        Assert.Equal(Inf, logSum.Output.ToDouble());
        TensorAssert.Close(full(4, 0.25, dtype), logSum.GradX, Rtol(dtype), "LogSum ∂y/∂x");
        // Within 5e-15 or 5e-6, what "14 or 5 decimal places" meant: rounding both to 5 decimals failed on a float32
        // result 6.6e-8 (0.3 ulp) from the expected 2.1660849 because it rounds up to 2.16609.
        Assert.Equal(Math.Log(4) / 0.64, logSum.GradParameter.ToDouble(), dtype == ScalarType.Float64 ? 5e-15 : 5e-6);
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Logits_at_plus_infinity_share_all_the_weight(ScalarType dtype)
    {
        // With β > 0 the logit is +∞ at x = −∞: the soft minimum is −∞ and the weight sits on those entries.
        var run = Run(ModuleMap.Softmax, [0.5, -Inf, 2, -Inf], [1, 2, 3, 4], 1.0, dtype);
        TensorAssert.Close(tensor(new[] { 0, 0.5, 0, 0.5 }, dtype), run.Output[0], 0, "y");
        TensorAssert.AllFinite(run.GradX, "∂E/∂x");
        Assert.Equal(0.0, run.GradX[0, 0].ToDouble());
        TensorAssert.AllFinite(run.GradParameter, "∂E/∂β");

        var logSum = MapGradients.Of(LogSumFunction.apply, tensor(new[] { 0.5, -Inf, 2, -Inf }, dtype), tensor(1.0, dtype));
        Assert.Equal(double.NegativeInfinity, logSum.Output.ToDouble());
        TensorAssert.Close(tensor(new[] { 0, 0.5, 0, 0.5 }, dtype), logSum.GradX, 0, "LogSum ∂y/∂x");
        Assert.Equal(Math.Log(2), logSum.GradParameter.ToDouble(), dtype == ScalarType.Float64 ? 14 : 6);
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Exponential_at_infinite_x_returns_the_limits(ScalarType dtype)
    {
        var x = tensor(new[] { 0.5, Inf, -1.0 }, dtype);
        var beta = tensor(2.0, dtype);
        var run = MapGradients.Of(ExponentialFunction.apply, x, beta);
        var finitePart = MapGradients.Of(ExponentialFunction.apply, tensor(new[] { 0.5, -1.0 }, dtype), beta);
        Assert.Equal(0.0, run.Output[1].ToDouble());
        Assert.Equal(0.0, run.GradX[1].ToDouble());
        // −x e^{−βx} → 0 as x → +∞, so the infinite entry adds nothing to ∂E/∂β.
        TensorAssert.Close(finitePart.GradParameter, run.GradParameter, Rtol(dtype), "∂E/∂β");

        var diverging = MapGradients.Of(ExponentialFunction.apply, tensor(new[] { 0.5, double.NegativeInfinity }, dtype), beta);
        Assert.Equal(Inf, diverging.Output[1].ToDouble());
        Assert.Equal(double.NegativeInfinity, diverging.GradX[1].ToDouble());
        Assert.Equal(Inf, diverging.GradParameter.ToDouble());
    }

    [Fact]
    public void Exponential_beta_gradient_gets_the_sign_of_infinity_right_where_overflowing_terms_meet()
    {
        // Both y overflow to +∞; the terms −x g y are +400·e^800 and −200·e^800, whose sum is +∞, not ∞ − ∞ = NaN.
        var run = MapGradients.Of(ExponentialFunction.apply, tensor(new[] { -400.0, -400.0 }), tensor(2.0), tensor(new[] { 1.0, -0.5 }));
        Assert.Equal(Inf, run.GradParameter.ToDouble());
        run = MapGradients.Of(ExponentialFunction.apply, tensor(new[] { -400.0, -400.0, Inf }), tensor(2.0), tensor(new[] { -1.0, 0.5, 1.0 }));
        Assert.Equal(double.NegativeInfinity, run.GradParameter.ToDouble());
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Scalings_follow_IEEE_arithmetic_at_infinity(ScalarType dtype)
    {
        var x = tensor(new[] { 1.0, Inf, double.NegativeInfinity }, dtype);
        var global = MapGradients.Of(GlobalScalingFunction.apply, x, tensor(-2.0, dtype));
        Assert.Equal(new[] { -2.0, double.NegativeInfinity, Inf }, global.Output.to(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal(new[] { -2.0, -2.0, -2.0 }, global.GradX.to(ScalarType.Float64).data<double>().ToArray());
        Assert.True(global.GradParameter.isnan().ToBoolean(), "Σ x over +∞ and −∞ is NaN");

        var component = MapGradients.Of(ComponentScalingFunction.apply, x, tensor(new[] { 0.0, 3.0, 1.0 }, dtype));
        Assert.Equal(new[] { 0.0, Inf, double.NegativeInfinity }, component.Output.to(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal(new[] { 1.0, Inf, double.NegativeInfinity }, component.GradParameter.to(ScalarType.Float64).data<double>().ToArray());
        Assert.True(MapGradients.Of(GlobalScalingFunction.apply, x, tensor(0.0, dtype)).Output[1].isnan().ToBoolean(), "0 · ∞ is NaN");
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void NaN_propagates_within_its_row_and_into_the_parameter_gradient_only(ScalarType dtype)
    {
        foreach (var map in ModuleMap.All)
        {
            var clean = Run(map, [0.1, 0.2, 0.3], [1, -2, 0.5], 1.3, dtype);
            var poisoned = Run(map, [0.1, double.NaN, 0.3], [1, -2, 0.5], 1.3, dtype);
            Assert.True(poisoned.Output[0].isnan().any().ToBoolean(), $"{map.Name}: y of the NaN row");
            // The scalings' ∂E/∂x = g k does not depend on x, so it stays finite.
            bool gradXDependsOnX = map != ModuleMap.ComponentScaling && map != ModuleMap.GlobalScaling;
            Assert.Equal(gradXDependsOnX, poisoned.GradX[0].isnan().any().ToBoolean());
            TensorAssert.Close(clean.Output[1], poisoned.Output[1], 0, $"{map.Name}: y of the clean row");
            TensorAssert.Close(clean.GradX[1], poisoned.GradX[1], 0, $"{map.Name}: ∂E/∂x of the clean row");
            Assert.True(poisoned.GradParameter.isnan().any().ToBoolean(), $"{map.Name}: the parameter gradient sums over the NaN row");
        }
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Beta_zero_with_infinite_x_is_undefined_and_says_so_with_NaN(ScalarType dtype)
    {
        var zero = tensor(0.0, dtype);
        Assert.True(ExponentialFunction.apply(tensor(new[] { Inf }, dtype), zero).isnan().all().ToBoolean());
        Assert.True(SoftmaxFunction.apply(tensor(new[] { 1.0, Inf }, dtype), zero).isnan().all().ToBoolean());
        TensorAssert.Close(full(2, 0.5, dtype), SoftmaxFunction.apply(tensor(new[] { 1.0, 1e30 }, dtype), zero), 0, "β = 0, finite x");
    }

    private static void AssertRowWithoutColumn(Tensor expected, Tensor actualWithExtraColumn, long column, ScalarType dtype, string what)
    {
        var keep = arange(actualWithExtraColumn.shape[^1]).ne(column);
        TensorAssert.Close(expected, actualWithExtraColumn.masked_select(keep), Rtol(dtype), what);
    }
}
