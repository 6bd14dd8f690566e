using Interop.Functions;
using Interop.Reference;
using Interop.Checking;
using Interop.Tests.Numerics.Exact;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>Inputs where the textbook formulas overflow, and the special values of β.</summary>
public class ExtremeValueTests
{
    public static TheoryData<string, double> StableMaps() => new()
    {
        { "Softmax", 1e3 }, { "Softmax", -1e3 }, { "LogSum", 1e3 }, { "LogSum", -1e3 },
    };

    [Theory]
    [MemberData(nameof(StableMaps))]
    public void Softmax_and_LogSum_stay_finite_and_right_where_the_naive_formula_overflows(string module, double largestBetaX)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var beta = tensor(2.5, ScalarType.Float64);
        // β·x spans [−|largest|, |largest|]; exp(−β x) alone overflows float64 beyond 709.
        var x = linspace(-1, 1, 7, dtype: ScalarType.Float64).reshape(1, 7).repeat(2, 1) * (largestBetaX / 2.5);
        x[1] = x[1].flip(0) * 0.5;
        Assert.False(x.mul(beta).neg().exp().isfinite().all().ToBoolean(), "the naive exp(−β x) should overflow here");

        var upstream = randn(map.Twin(x, beta).shape, ScalarType.Float64, generator: new Generator(3));
        var hand = MapGradients.Of(map.Function, x, beta, upstream);
        var exact = ExactGradients.Of(module, x, beta, upstream);

        TensorAssert.Close(exact.Output, hand.Output, 1e-12, $"{module} y");
        TensorAssert.Close(exact.GradX, hand.GradX, 1e-12, $"{module} ∂E/∂x");
        TensorAssert.Close(exact.GradParameter, hand.GradParameter, 1e-12, $"{module} ∂E/∂β");
    }

    [Fact]
    public void LogSum_beta_gradient_is_the_entropy_over_beta_squared_at_large_beta_x()
    {
        // Two rows: the soft minimum picks one element (H = 0, so ∂y/∂β = 0 exactly), or splits evenly between two
        // (H = log 2, so ∂y/∂β = log 2 / β²).
        var beta = tensor(4.0, ScalarType.Float64);
        var x = tensor(new double[] { 500, 250, 750, 250, 250, 900 }, [2, 3], ScalarType.Float64);
        var run = MapGradients.Of(LogSumFunction.apply, x, beta, tensor(new double[] { 1, 0 }, ScalarType.Float64));
        Assert.Equal(0.0, run.GradParameter.ToDouble());
        run = MapGradients.Of(LogSumFunction.apply, x, beta, tensor(new double[] { 0, 1 }, ScalarType.Float64));
        Assert.Equal(Math.Log(2) / 16, run.GradParameter.ToDouble(), 15);
        Assert.Equal(new double[] { 250, 250 - Math.Log(2) / 4 }, run.Output.data<double>().ToArray());
    }

    [Fact]
    public void Exponential_matches_the_twin_across_the_finite_range()
    {
        var beta = tensor(-2.0, ScalarType.Float64);
        var x = linspace(-350, 350, 11, dtype: ScalarType.Float64);
        var hand = MapGradients.Of(ExponentialFunction.apply, x, beta);
        var twin = MapGradients.Of(AutogradTwins.exponential, x, beta);
        TensorAssert.Close(twin.Output, hand.Output, 1e-12, "y");
        TensorAssert.Close(twin.GradX, hand.GradX, 1e-12, "∂E/∂x");
        TensorAssert.Close(twin.GradParameter, hand.GradParameter, 1e-12, "∂E/∂β");
    }

    [Fact]
    public void Softmax_at_beta_zero_is_uniform_and_its_x_gradient_vanishes()
    {
        var x = randn([3, 4], ScalarType.Float64, generator: new Generator(5)) * 10;
        var run = MapGradients.Of(SoftmaxFunction.apply, x, tensor(0.0, ScalarType.Float64), randn([3, 4], ScalarType.Float64, generator: new Generator(6)));
        TensorAssert.Close(full([3, 4], 0.25, ScalarType.Float64), run.Output, 1e-15, "y");
        Assert.Equal(0.0, run.GradX.abs().max().ToDouble());
        TensorAssert.AllFinite(run.GradParameter, "∂E/∂β");
    }

    [Fact]
    public void LogSum_rejects_beta_zero()
    {
        var error = Assert.Throws<ArgumentException>(() => LogSumFunction.apply(ones(3, ScalarType.Float64), tensor(0.0, ScalarType.Float64)));
        Assert.Equal("beta", error.ParamName);
        Assert.Contains("LogSumFunction", error.Message);
        Assert.Contains("nonzero", error.Message);
    }
}
