using Interop.Checking;
using Interop.Reference;
using Interop.Tests.Checking.WrongFunctions;
using TorchSharp;
using static Interop.Checking.GradientCheck;
using static TorchSharp.torch;

namespace Interop.Tests.Checking;

/// <summary>What a report says and how it fails: the table, the exception, warnings and argument errors.</summary>
public class ReportTests
{
    [Fact]
    public void The_table_names_each_derivative_its_errors_and_its_worst_element()
    {
        using var scope = NewDisposeScope();
        var (x, beta) = Point(ScalarType.Float64);
        var report = gradcheck(ModuleMap.Exponential with { Function = BetaSignErrorExponentialFunction.apply }, x, beta,
            new GradientCheckOptions(second_order: false));
        var failed = report.Pairs.Single(pair => !pair.Passed);

        var lines = report.ToString().Split('\n');
        Assert.StartsWith("gradcheck of Exponential (y = exp(−β x)): FAILED", lines[0]);
        Assert.Contains("eps 1e-06, atol 1e-05, rtol 0.001, slow mode", lines[1]);
        var row = Assert.Single(lines, line => line.Contains("∂y/∂β"));
        Assert.Contains(failed.WorstElement, row);
        Assert.Matches(@"\[\d, \d\]/∂β", failed.WorstElement);
        Assert.EndsWith("FAILED", row.TrimEnd());
        Assert.EndsWith("ok", Assert.Single(lines, line => line.Contains("∂y/∂x")).TrimEnd());
        Assert.Contains("backward is reentrant", report.ToString());
    }

    [Fact]
    public void ThrowIfFailed_returns_a_passed_report_and_throws_the_table_for_a_failed_one()
    {
        using var scope = NewDisposeScope();
        var (x, beta) = Point(ScalarType.Float64);
        var passed = gradcheck(ModuleMap.Exponential, x, beta);
        Assert.Same(passed, passed.ThrowIfFailed());

        var failed = gradcheck(ModuleMap.Exponential with { Function = BetaSignErrorExponentialFunction.apply }, x, beta);
        var error = Assert.Throws<GradientCheckException>(() => failed.ThrowIfFailed());
        Assert.Same(failed, error.Report);
        Assert.Equal(failed.ToString(), error.Message);
    }

    [Theory]
    [InlineData(Float32Policy.Upcast, "float64 copies")]
    [InlineData(Float32Policy.AsGiven, "their own dtype")]
    public void Float32_inputs_pass_with_a_warning_that_says_what_was_done(Float32Policy policy, string said)
    {
        using var scope = NewDisposeScope();
        var (x, beta) = Point(ScalarType.Float32);

        var report = gradcheck(ModuleMap.Softmax, x, beta, new GradientCheckOptions(float32: policy));

        Assert.True(report.Passed, report.ToString());
        var warning = Assert.Single(report.Warnings);
        Assert.Contains("x (Float32), β (Float32)", warning);
        Assert.Contains(said, warning);
        Assert.Contains($"warning: {warning}", report.ToString());
        // Upcast runs the analytical side in float64 too, so it agrees with the finite differences to their own error.
        if (policy == Float32Policy.Upcast)
            Assert.All(report.Pairs, pair => Assert.True(pair.MaxAbsError < 1e-8, $"{pair.Derivative}: {pair.MaxAbsError:E2}"));
    }

    [Fact]
    public void A_general_function_with_a_fixed_integer_input_is_checked_in_its_floating_inputs()
    {
        using var scope = NewDisposeScope();
        var x = randn([3], ScalarType.Float64, generator: new Generator(3)).requires_grad_();
        var counts = tensor(new long[] { 1, 2, 3 });

        var report = gradcheck(inputs => [inputs[0].square() * inputs[1], inputs[0].sum()], [x, counts]);

        Assert.True(report.Passed, report.ToString());
        Assert.Equal(["∂outputs[0]/∂inputs[0]", "∂outputs[1]/∂inputs[0]"], report.Pairs.Where(pair => pair.Order == 1).Select(pair => pair.Derivative));
        Assert.Contains(report.Pairs, pair => pair.Derivative == "∂(∂E/∂inputs[0])/∂(∂E/∂outputs[1])");
    }

    [Fact]
    public void Compare_of_general_functions_checks_that_the_reference_has_the_same_outputs()
    {
        using var scope = NewDisposeScope();
        var x = randn([3], ScalarType.Float64, generator: new Generator(4)).requires_grad_();

        var report = compare(inputs => [inputs[0].tanh()], inputs => [(inputs[0].exp() - (-inputs[0]).exp()) / (inputs[0].exp() + (-inputs[0]).exp())], [x]);
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(("reference", "function"), (report.ExpectedLabel, report.ActualLabel));

        var error = Assert.Throws<ArgumentException>(() => compare(inputs => [inputs[0]], inputs => [inputs[0].sum()], [x]));
        Assert.Equal("reference", error.ParamName);
    }

    [Fact]
    public void Bad_arguments_are_named_before_anything_runs()
    {
        using var scope = NewDisposeScope();
        var (x, beta) = Point(ScalarType.Float64);

        var nothingToCheck = Assert.Throws<ArgumentException>(() => gradcheck(ModuleMap.Softmax, x.detach(), beta.detach()));
        Assert.Equal("inputs", nothingToCheck.ParamName);
        Assert.Contains("requires_grad_()", nothingToCheck.Message);

        var eps = Assert.Throws<ArgumentException>(() => gradcheck(ModuleMap.Softmax, x, beta, new GradientCheckOptions(eps: -1e-6)));
        Assert.Equal("eps", eps.ParamName);
        Assert.Contains("got -1E-06", eps.Message, StringComparison.OrdinalIgnoreCase);
        var nondet = Assert.Throws<ArgumentException>(() => gradcheck(ModuleMap.Softmax, x, beta, GradientCheckOptions.Default with { nondet_tol = double.NaN }));
        Assert.Equal("nondet_tol", nondet.ParamName);

        var gradOutput = Assert.Throws<ArgumentException>(() => gradgradcheck(ModuleMap.Softmax, x, beta, ones(5, dtype: ScalarType.Float64)));
        Assert.Equal("grad_outputs", gradOutput.ParamName);
        Assert.Contains("shaped like y, [2, 3]", gradOutput.Message);

        var badFunction = Assert.Throws<ArgumentException>(() => gradcheck(inputs => [inputs[0].argmax()], [x]));
        Assert.Contains("must be floating-point", badFunction.Message);
    }

    private static (Tensor X, Tensor Beta) Point(ScalarType dtype) =>
        (randn([2, 3], dtype, generator: new Generator(9)).requires_grad_(), tensor(0.7, dtype).requires_grad_());
}
