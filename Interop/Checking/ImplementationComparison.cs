using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// What <c>compare</c> does: the outputs, then every Jacobian of the function under test against the reference's,
/// both through backward and element by element, and with second order the Jacobians of the two backward passes
/// at the same random grad_outputs.
/// </summary>
internal static class ImplementationComparison
{
    public static GradientCheckReport Run(
        CheckedFunction function, CheckedFunction reference, string expectedLabel, string actualLabel, GradientCheckOptions options)
    {
        bool inFloat64 = options.AnalyticalInFloat64;
        if (reference.OutputShapes.Length != function.OutputShapes.Length ||
            reference.OutputShapes.Zip(function.OutputShapes).Any(shapes => !shapes.First.SequenceEqual(shapes.Second)))
            throw new ArgumentException(
                $"compare: the reference must return outputs shaped like the function's, {Shapes(function.OutputShapes)}; got {Shapes(reference.OutputShapes)}.", "reference");

        var checks = new List<CheckResult> { Outputs(function, reference, options) };
        var pairs = new List<JacobianPairResult>(Pairs(function, reference, 1, options));
        if (options.second_order)
        {
            var gradOutputs = function.RandomGradOutputs(new Generator(options.seed), inFloat64);
            pairs.AddRange(Pairs(function.Backward(gradOutputs), reference.Backward(gradOutputs), 2, options));
        }
        string[] warnings = function.NarrowInputs.Length == 0 ? [] :
        [
            inFloat64
                ? $"{string.Join(", ", function.NarrowInputs)}: both sides ran on float64 copies (Float32Policy.Upcast)."
                : $"{string.Join(", ", function.NarrowInputs)}: both sides ran in their own dtype (Float32Policy.AsGiven); expect differences of float32 rounding.",
        ];
        return new GradientCheckReport("compare", function.Subject, expectedLabel, actualLabel, options, pairs, checks, warnings, function.NarrowInputs.Length > 0);
    }

    private static JacobianPairResult[] Pairs(CheckedFunction function, CheckedFunction reference, int order, GradientCheckOptions options)
    {
        bool inFloat64 = options.AnalyticalInFloat64;
        using var scope = NewDisposeScope();
        var actual = Jacobian.analytical(function.Function(inFloat64), function.InputsAt(inFloat64));
        var expected = Jacobian.analytical(reference.Function(inFloat64), reference.InputsAt(inFloat64));
        return function.Pairs(order, pair => JacobianComparison.Elementwise(
            pair, expected[pair.OutputIndex, pair.InputIndex], actual[pair.OutputIndex, pair.InputIndex], options.atol, options.rtol));
    }

    /// <summary>The outputs themselves, under the same element-wise test as the Jacobians.</summary>
    private static CheckResult Outputs(CheckedFunction function, CheckedFunction reference, GradientCheckOptions options)
    {
        bool inFloat64 = options.AnalyticalInFloat64;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var actual = Jacobian.Evaluate("compare", function.Function(inFloat64), function.InputsAt(inFloat64));
        var expected = Jacobian.Evaluate("compare", reference.Function(inFloat64), reference.InputsAt(inFloat64));
        var results = Enumerable.Range(0, actual.Length).Select(o => JacobianComparison.Elementwise(
            new JacobianComparison.Pair(0, o, function.OutputNames[o], 0, "", (int)actual[o].dim()), expected[o], actual[o], options.atol, options.rtol)).ToArray();
        var worst = results.MaxBy(result => result.MaxAbsError)!;
        return new CheckResult("outputs agree", results.All(result => result.Passed),
            $"max |Δ{worst.Output}| {ReportTable.Short(worst.MaxAbsError)}, at {worst.Output}" +
            (worst.WorstOutputIndex is { Length: > 0 } index ? $"[{string.Join(", ", index)}]" : ""));
    }

    private static string Shapes(long[][] shapes) => string.Join(", ", shapes.Select(shape => $"[{string.Join(", ", shape)}]"));
}
