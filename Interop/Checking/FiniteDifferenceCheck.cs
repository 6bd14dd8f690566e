using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// What <c>gradcheck</c> and <c>gradgradcheck</c> do: for each order asked for, probe the backward and check its
/// properties, then compare every Jacobian with central differences, element by element or, in fast mode, by
/// projection first. Second order is the same procedure applied to the backward seen as a function.
/// </summary>
internal static class FiniteDifferenceCheck
{
    public static GradientCheckReport Run(
        string check, CheckedFunction function, GradientCheckOptions options, bool firstOrder, bool secondOrder, Tensor[]? gradOutputs)
    {
        var generator = new Generator(options.seed);
        var pairs = new List<JacobianPairResult>();
        var checks = new List<CheckResult>();
        bool OrderPasses(CheckedFunction checkedFunction, int order)
        {
            var (properties, backwardRuns) = BackwardChecks.Run(checkedFunction, order, options, generator);
            checks.AddRange(properties);
            if (backwardRuns)
                pairs.AddRange(Pairs(checkedFunction, order, options, generator));
            return backwardRuns;
        }

        bool backwardRuns = !firstOrder || OrderPasses(function, 1);
        if (secondOrder && backwardRuns)
            OrderPasses(function.Backward(gradOutputs ?? function.RandomGradOutputs(generator, options.AnalyticalInFloat64)), 2);

        string[] warnings = function.NarrowInputs.Length == 0 ? [] :
        [
            options.AnalyticalInFloat64
                ? $"{string.Join(", ", function.NarrowInputs)}: checked on float64 copies (Float32Policy.Upcast), so the derivation is verified but float32 rounding in the backward is not."
                : $"{string.Join(", ", function.NarrowInputs)}: the function and its backward ran in their own dtype (Float32Policy.AsGiven), against finite differences taken in float64.",
        ];
        return new GradientCheckReport(check, function.Subject, "numerical", "analytical", options, pairs, checks, warnings, function.NarrowInputs.Length > 0);
    }

    /// <summary>Every (output, input) pair: element by element, or in fast mode by projection first.</summary>
    private static JacobianPairResult[] Pairs(CheckedFunction function, int order, GradientCheckOptions options, Generator generator)
    {
        bool inFloat64 = options.AnalyticalInFloat64;
        if (!options.fast_mode)
            return Elementwise(function, order, options);

        using var scope = NewDisposeScope();
        var u = function.Inputs.Select(input => JacobianProjection.RandomUnitVector(input.shape, generator)).ToArray();
        var v = function.OutputShapes.Select(shape => JacobianProjection.RandomUnitVector(shape, generator)).ToArray();
        var numerical = JacobianProjection.Numerical(function.Function(inFloat64: true), function.Inputs, u, v, options.eps);
        var analytical = JacobianProjection.Analytical(function.Function(inFloat64), function.InputsAt(inFloat64), u, v);
        var pairs = function.Pairs(order, pair => JacobianComparison.Projection(
            pair, numerical[pair.OutputIndex, pair.InputIndex], analytical[pair.OutputIndex, pair.InputIndex],
            u[pair.InputIndex].sum().ToDouble() * v[pair.OutputIndex].sum().ToDouble(), options.atol, options.rtol));
        if (pairs.All(pair => pair.Passed))
            return pairs;
        // A projection says that something is wrong, not where: re-check element by element, and let that verdict stand.
        var elementwise = Elementwise(function, order, options);
        return pairs.Select((pair, i) => pair.Passed ? pair : elementwise[i]).ToArray();
    }

    private static JacobianPairResult[] Elementwise(CheckedFunction function, int order, GradientCheckOptions options)
    {
        bool inFloat64 = options.AnalyticalInFloat64;
        using var scope = NewDisposeScope();
        var numerical = Jacobian.numerical(function.Function(inFloat64: true), function.Inputs, options.eps);
        var analytical = Jacobian.analytical(function.Function(inFloat64), function.InputsAt(inFloat64));
        return function.Pairs(order, pair => JacobianComparison.Elementwise(
            pair, numerical[pair.OutputIndex, pair.InputIndex], analytical[pair.OutputIndex, pair.InputIndex], options.atol, options.rtol));
    }
}
