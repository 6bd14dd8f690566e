using System.Runtime.InteropServices;
using Interop.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// Properties of a backward that hold whatever the function: run twice with the same grad_output it gives the same
/// gradients (reentrancy, within nondet_tol); a zero grad_output gives exactly zero gradients (a backward that ignores
/// grad_output fails this); and each gradient has its input's shape and dtype. They run before the Jacobians, as a
/// probe: if autograd refuses the backward (a gradient of the wrong shape, a saved tensor modified in place, a
/// backward that throws), that refusal is the result, and there is nothing more to check at this order or above.
/// </summary>
internal static class BackwardChecks
{
    /// <summary>The checks, and whether the backward ran at all.</summary>
    public static (IReadOnlyList<CheckResult> Checks, bool BackwardRuns) Run(CheckedFunction function, int order, GradientCheckOptions options, Generator generator)
    {
        bool inFloat64 = options.AnalyticalInFloat64;
        string suffix = order == 2 ? " (second order)" : "";
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var leaves = function.InputsAt(inFloat64).Select(input => input.detach().clone().requires_grad_()).ToArray();
        Tensor[] outputs, gradOutputs, first, second, fromZero;
        try
        {
            // For order 2, evaluating the function already runs the first backward. The second and third backward
            // run through the same graph, and are refused too if the first changed a saved tensor in place.
            outputs = Jacobian.Evaluate(function.Subject, function.Function(inFloat64), leaves, detach: false);
            gradOutputs = outputs.Select(output => randn(output.shape, ScalarType.Float64, generator: generator).to(output.dtype, output.device)).ToArray();
            first = VectorJacobianProduct.Of(outputs, leaves, gradOutputs);
            second = VectorJacobianProduct.Of(outputs, leaves, gradOutputs);
            fromZero = VectorJacobianProduct.Of(outputs, leaves, outputs.Select(output => zeros_like(output)).ToArray());
        }
        catch (Exception refused) when (refused is FunctionBackwardException || refused is InvalidOperationException { InnerException: ExternalException })
        {
            return ([new CheckResult($"autograd accepts the backward{suffix}", false, refused.Message)], false);
        }

        double difference = first.Zip(second, (a, b) => MaxAbs(a - b)).Max();
        double largestFromZero = fromZero.Select(MaxAbs).Max();
        var mismatches = Enumerable.Range(0, leaves.Length)
            .Where(k => !first[k].shape.SequenceEqual(leaves[k].shape) || first[k].dtype != leaves[k].dtype)
            .Select(k => $"∂E/∂{function.InputNames[k]} is [{string.Join(", ", first[k].shape)}] {first[k].dtype}, " +
                         $"its input [{string.Join(", ", leaves[k].shape)}] {leaves[k].dtype}")
            .ToList();

        return ([
            new CheckResult($"backward is reentrant{suffix}", difference <= options.nondet_tol,
                $"two runs with the same grad_output differ by at most {ReportTable.Short(difference)} (nondet_tol {ReportTable.Short(options.nondet_tol)})"),
            new CheckResult($"zero grad_output gives zero gradients{suffix}", largestFromZero == 0,
                $"largest |gradient| {ReportTable.Short(largestFromZero)}"),
            new CheckResult($"gradients have their inputs' shapes and dtypes{suffix}", mismatches.Count == 0,
                mismatches.Count == 0 ? $"all {leaves.Length} do" : string.Join("; ", mismatches)),
        ], true);
    }

    private static double MaxAbs(Tensor tensor) => tensor.numel() == 0 ? 0 : tensor.detach().abs().max().ToDouble();
}
