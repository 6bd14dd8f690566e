using Interop.Checking;
using Interop.Reference;
using Interop.Tests.Checking.WrongFunctions;
using TorchSharp;
using static Interop.Checking.GradientCheck;
using static TorchSharp.torch;

namespace Interop.Tests.Checking;

/// <summary>
/// Proof that the checks can fail: deliberately wrong Functions, each caught, with the worst element where the bug
/// puts it. The expected locations are worked out from the bug, independently of the checker.
/// </summary>
public class CheckerCatchesWrongFunctionsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_sign_error_in_betas_gradient_fails_at_the_element_with_the_largest_x_y(bool fastMode)
    {
        using var scope = NewDisposeScope();
        var x = randn([3, 4], ScalarType.Float64, generator: new Generator(1)).requires_grad_();
        var beta = tensor(0.8, ScalarType.Float64).requires_grad_();
        var map = ModuleMap.Exponential with { Function = BetaSignErrorExponentialFunction.apply };

        var report = gradcheck(map, x, beta, new GradientCheckOptions(fast_mode: fastMode, second_order: false));

        Assert.False(report.Passed);
        Assert.True(Pair(report, 1, "y", "x").Passed);
        var dyDbeta = Pair(report, 1, "y", "β");
        Assert.False(dyDbeta.Passed);
        Assert.False(dyDbeta.Projected);
        // ∂y_i/∂β = −x_i y_i and the bug returns +x_i y_i: the error 2|x_i y_i| uses up the most tolerance where |x_i y_i| is largest.
        var xy = (x * (-beta * x).exp()).detach();
        long worst = xy.abs().reshape(-1).argmax().ToInt64();
        Assert.Equal([worst / 4, worst % 4], dyDbeta.WorstOutputIndex!);
        Assert.Empty(dyDbeta.WorstInputIndex!);
        double value = xy.reshape(-1)[worst].ToDouble();
        Assert.Equal(-value, dyDbeta.Expected, 1e-8);
        Assert.Equal(value, dyDbeta.Actual, 1e-12);
        Assert.Equal(2 * Math.Abs(value), dyDbeta.MaxAbsError, 1e-8);
        Assert.Equal(2.0, dyDbeta.MaxRelError, 1e-6);
    }

    [Fact]
    public void A_parameter_gradient_not_summed_over_the_batch_fails_in_a_later_row()
    {
        using var scope = NewDisposeScope();
        var x = randn([3, 4], ScalarType.Float64, generator: new Generator(2)).requires_grad_();
        var k = ModuleMap.ComponentScaling.MakeParameter(1.2, 4).requires_grad_();
        var map = ModuleMap.ComponentScaling with { Function = FirstRowOnlyComponentScalingFunction.apply };

        var report = gradcheck(map, x, k, new GradientCheckOptions(second_order: false));

        Assert.True(Pair(report, 1, "y", "x").Passed);
        var dyDk = Pair(report, 1, "y", "K");
        Assert.False(dyDk.Passed);
        // ∂y[b, j]/∂k_j = x[b, j]; the bug keeps it for b = 0 only, so the worst is the largest |x[b, j]| with b ≥ 1.
        var laterRows = x.detach()[1..].abs();
        long worst = laterRows.reshape(-1).argmax().ToInt64();
        long row = 1 + worst / 4, column = worst % 4;
        Assert.Equal([row, column], dyDk.WorstOutputIndex!);
        Assert.Equal([column], dyDk.WorstInputIndex!);
        Assert.Equal(x[row, column].ToDouble(), dyDk.Expected, 1e-8);
        Assert.Equal(0.0, dyDk.Actual);
    }

    [Fact]
    public void A_backward_that_ignores_grad_output_fails_off_the_diagonal_and_on_zero_grad_output()
    {
        using var scope = NewDisposeScope();
        var x = randn([5], ScalarType.Float64, generator: new Generator(3)).requires_grad_();
        var beta = tensor(-0.7, ScalarType.Float64).requires_grad_();
        var map = ModuleMap.Exponential with { Function = IgnoresGradOutputExponentialFunction.apply };

        var report = gradcheck(map, x, beta, new GradientCheckOptions(second_order: false));

        // Every row of ∂y/∂x comes out as the diagonal −β y: the worst element is off the diagonal, in the column of the largest |y_j|.
        var dyDx = Pair(report, 1, "y", "x");
        Assert.False(dyDx.Passed);
        long column = (-beta * x).exp().detach().argmax().ToInt64();
        Assert.Equal([column], dyDx.WorstInputIndex!);
        Assert.NotEqual(column, dyDx.WorstOutputIndex![0]);
        Assert.Equal(0.0, dyDx.Expected, 1e-9);
        Assert.False(Pair(report, 1, "y", "β").Passed);
        Assert.False(Check(report, "zero grad_output gives zero gradients").Passed);
        Assert.True(Check(report, "backward is reentrant").Passed);
    }

    [Fact]
    public void A_backward_that_detaches_a_saved_output_passes_first_order_and_fails_second_order()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 3], ScalarType.Float64, generator: new Generator(4)).requires_grad_();
        var beta = tensor(1.1, ScalarType.Float64).requires_grad_();
        var gradOutput = randn([2, 3], ScalarType.Float64, generator: new Generator(5));
        var map = ModuleMap.Exponential with { Function = DetachedOutputExponentialFunction.apply };

        Assert.True(gradcheck(map, x, beta, new GradientCheckOptions(second_order: false)).Passed);
        Assert.False(gradcheck(map, x, beta).Passed, "gradcheck includes the second order by default");
        var report = gradgradcheck(map, x, beta, gradOutput);

        Assert.False(report.Passed);
        Assert.All(report.Pairs, pair => Assert.Equal(2, pair.Order));
        // ∂(∂E/∂x_i)/∂x_j = g_i β² y_i δ_ij, which the detached y turns into 0: worst on the diagonal, at the largest |g_i y_i|.
        var second = Pair(report, 2, "∂E/∂x", "x");
        Assert.False(second.Passed);
        var y = (-beta * x).exp().detach();
        var expected = gradOutput * beta.detach().square() * y;
        long worst = expected.abs().reshape(-1).argmax().ToInt64();
        long[] index = [worst / 3, worst % 3];
        Assert.Equal(index, second.WorstOutputIndex!);
        Assert.Equal(index, second.WorstInputIndex!);
        Assert.Equal(expected.reshape(-1)[worst].ToDouble(), second.Expected, 1e-6);
        Assert.Equal(0.0, second.Actual);
        // The backward is still linear in grad_output and right in it.
        Assert.True(Pair(report, 2, "∂E/∂x", "∂E/∂y").Passed);
    }

    [Fact]
    public void A_gradient_of_the_wrong_shape_fails_the_check_and_the_process_survives()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 3], ScalarType.Float64, generator: new Generator(10)).requires_grad_();
        var beta = tensor(0.9, ScalarType.Float64).requires_grad_();
        var map = ModuleMap.Exponential with { Function = LastColumnDroppedExponentialFunction.apply };

        var report = gradcheck(map, x, beta);

        Assert.False(report.Passed);
        Assert.Empty(report.Pairs);
        var refused = Assert.Single(report.Checks);
        Assert.Equal("autograd accepts the backward", refused.Name);
        Assert.Contains("LastColumnDroppedExponentialFunction: backward returned a gradient for 'x' that autograd refuses: got [2, 2] but expected shape compatible with [2, 3]", refused.Detail);
    }

    [Fact]
    public void A_backward_that_overwrites_a_saved_tensor_fails_the_check_instead_of_throwing()
    {
        using var scope = NewDisposeScope();
        var x = randn([3, 4], ScalarType.Float64, generator: new Generator(11)).requires_grad_();
        var beta = tensor(0.8, ScalarType.Float64).requires_grad_();
        var map = ModuleMap.Exponential with { Function = InPlaceOnSavedOutputExponentialFunction.apply };

        var report = gradcheck(map, x, beta);

        // The first backward through the probe's graph is right; the second, for reentrancy, finds y changed.
        Assert.False(report.Passed);
        Assert.Empty(report.Pairs);
        var refused = Assert.Single(report.Checks);
        Assert.Equal("autograd accepts the backward", refused.Name);
        Assert.Contains("InPlaceOnSavedOutputExponentialFunction: its output, saved for backward, was modified by an in-place operation after forward", refused.Detail);
    }

    [Fact]
    public void Compare_with_autograd_catches_the_same_bugs()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 3], ScalarType.Float64, generator: new Generator(6)).requires_grad_();
        var beta = tensor(0.9, ScalarType.Float64).requires_grad_();

        var signError = compare(ModuleMap.Exponential with { Function = BetaSignErrorExponentialFunction.apply }, x, beta);
        Assert.False(Pair(signError, 1, "y", "β").Passed);
        Assert.True(Pair(signError, 1, "y", "x").Passed);
        Assert.Equal("autograd", signError.ExpectedLabel);

        var detached = compare(ModuleMap.Exponential with { Function = DetachedOutputExponentialFunction.apply }, x, beta);
        Assert.All(detached.Pairs.Where(pair => pair.Order == 1), pair => Assert.True(pair.Passed));
        Assert.False(Pair(detached, 2, "∂E/∂x", "x").Passed);
        Assert.True(Check(detached, "outputs agree").Passed);
    }

    [Fact]
    public void Nondeterminism_fails_reentrancy_unless_nondet_tol_allows_it()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 3], ScalarType.Float64, generator: new Generator(7)).requires_grad_();
        var beta = tensor(0.5, ScalarType.Float64).requires_grad_();
        var map = ModuleMap.Exponential with { Function = NoisyBackwardExponentialFunction.apply };

        var strict = gradcheck(map, x, beta, new GradientCheckOptions(second_order: false));
        Assert.False(strict.Passed);
        Assert.All(strict.Pairs, pair => Assert.True(pair.Passed));
        Assert.False(Check(strict, "backward is reentrant").Passed);
        Assert.True(Check(strict, "zero grad_output gives zero gradients").Passed);

        Assert.True(gradcheck(map, x, beta, new GradientCheckOptions(nondet_tol: 1e-6, second_order: false)).Passed);
    }

    [Fact]
    public void Float32_inputs_do_not_hide_a_bug()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 3], ScalarType.Float32, generator: new Generator(8)).requires_grad_();
        var beta = tensor(0.8f).requires_grad_();
        var map = ModuleMap.Exponential with { Function = BetaSignErrorExponentialFunction.apply };
        foreach (var policy in new[] { Float32Policy.Upcast, Float32Policy.AsGiven })
            Assert.False(Pair(gradcheck(map, x, beta, new GradientCheckOptions(float32: policy)), 1, "y", "β").Passed);
    }

    private static JacobianPairResult Pair(GradientCheckReport report, int order, string output, string input) =>
        report.Pairs.Single(pair => pair.Order == order && pair.Output == output && pair.Input == input);

    private static CheckResult Check(GradientCheckReport report, string name) => report.Checks.Single(check => check.Name == name);
}
