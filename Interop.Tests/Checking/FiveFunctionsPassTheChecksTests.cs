using Interop.Checking;
using Interop.Reference;
using TorchSharp;
using static Interop.Checking.GradientCheck;
using static TorchSharp.torch;

namespace Interop.Tests.Checking;

/// <summary>
/// The five hand-written Functions under every check, in float64, with their parameters checked too: against finite
/// differences in slow and fast mode, first and second order, and against their autograd twins, for x of shape
/// [N], [B, N] and [B, T, N].
/// </summary>
public class FiveFunctionsPassTheChecksTests
{
    public static TheoryData<string, long[], bool> GradcheckCases()
    {
        var data = new TheoryData<string, long[], bool>();
        foreach (var map in ModuleMap.All)
            foreach (var shape in Shapes)
                foreach (var fastMode in new[] { false, true })
                    data.Add(map.Name, shape, fastMode);
        return data;
    }

    public static TheoryData<string, long[]> CompareCases()
    {
        var data = new TheoryData<string, long[]>();
        foreach (var map in ModuleMap.All)
            foreach (var shape in Shapes)
                data.Add(map.Name, shape);
        return data;
    }

    private static readonly long[][] Shapes = [[4], [2, 4], [2, 3, 4]];

    [Theory]
    [MemberData(nameof(GradcheckCases))]
    public void Gradcheck_passes_first_and_second_order(string module, long[] shape, bool fastMode)
    {
        using var scope = NewDisposeScope();
        var (map, x, parameter) = Point(module, shape);

        var report = gradcheck(map, x, parameter, new GradientCheckOptions(fast_mode: fastMode));

        Assert.True(report.Passed, report.ToString());
        // First order: y against x and the parameter. Second order: both gradients against x, the parameter and ∂E/∂y.
        Assert.Equal(2, report.Pairs.Count(pair => pair.Order == 1));
        Assert.Equal(6, report.Pairs.Count(pair => pair.Order == 2));
        Assert.All(report.Pairs, pair => Assert.Equal(fastMode, pair.Projected));
        Assert.Equal(6, report.Checks.Count);
        Assert.Empty(report.Warnings);
    }

    [Theory]
    [MemberData(nameof(CompareCases))]
    public void Compare_with_the_autograd_twin_agrees_to_rounding_first_and_second_order(string module, long[] shape)
    {
        using var scope = NewDisposeScope();
        var (map, x, parameter) = Point(module, shape);

        var report = compare(map, x, parameter);

        Assert.True(report.Passed, report.ToString());
        Assert.Equal(8, report.Pairs.Count);
        Assert.Equal(GradientCheckOptions.Comparison, report.Options);
        // To rounding: 1e-13 of the derivative's size, or absolute below 1 (alone, 1e-13 is under one ulp past 450).
        Assert.All(report.Pairs, pair => Assert.True(pair.MaxAbsError < 1e-13 * Math.Max(1, Math.Abs(pair.Expected)), $"{pair.Derivative}: {pair.MaxAbsError:E2}"));
    }

    [Theory]
    [MemberData(nameof(CompareCases))]
    public void Gradgradcheck_alone_checks_only_the_second_order(string module, long[] shape)
    {
        using var scope = NewDisposeScope();
        var (map, x, parameter) = Point(module, shape);

        var report = gradgradcheck(map, x, parameter);

        Assert.True(report.Passed, report.ToString());
        Assert.All(report.Pairs, pair => Assert.Equal(2, pair.Order));
        Assert.Equal(6, report.Pairs.Count);
    }

    [Fact]
    public void Only_the_inputs_that_require_grad_are_checked()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 4], ScalarType.Float64, generator: new Generator(11)).requires_grad_();
        var beta = tensor(0.6, ScalarType.Float64);

        var report = gradcheck(ModuleMap.Softmax, x, beta, new GradientCheckOptions(second_order: false));

        Assert.True(report.Passed, report.ToString());
        Assert.Equal(["x"], report.Pairs.Select(pair => pair.Input));
    }

    [Fact]
    public void The_callers_tensors_are_left_as_they_were()
    {
        using var scope = NewDisposeScope();
        var x = randn([2, 4], ScalarType.Float64, generator: new Generator(12)).requires_grad_();
        var beta = tensor(0.6, ScalarType.Float64).requires_grad_();
        var before = x.detach().clone();

        gradcheck(ModuleMap.LogSum, x, beta, new GradientCheckOptions(fast_mode: true));
        compare(ModuleMap.LogSum, x, beta);

        Assert.Equal(before.data<double>().ToArray(), x.detach().data<double>().ToArray());
        Assert.True(x.grad is null || x.grad.IsInvalid);
        Assert.True(beta.grad is null || beta.grad.IsInvalid);
    }

    private static (ModuleMap Map, Tensor X, Tensor Parameter) Point(string module, long[] shape)
    {
        var map = ModuleMap.All.Single(m => m.Name == module);
        var x = (randn(shape, ScalarType.Float64, generator: new Generator(21)) * 1.5).requires_grad_();
        var parameter = map.MakeParameter(0.9, shape[^1]).requires_grad_();
        return (map, x, parameter);
    }
}
