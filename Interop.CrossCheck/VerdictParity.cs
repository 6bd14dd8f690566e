using Interop.Autograd;
using Interop.Checking;
using static Interop.Checking.GradientCheck;
using static TorchSharp.torch;

namespace Interop.CrossCheck;

/// <summary>A wrong Function's verdicts: Interop's gradcheck (one call, its defaults) and PyTorch's two checks.</summary>
public sealed record ParityRow(WrongFunction Function, CheckVerdict Interop, PyTorchVerdicts PyTorch)
{
    public bool CaughtByPyTorch => PyTorch.Gradcheck.Caught || PyTorch.Gradgradcheck.Caught;

    /// <summary>PyTorch catches the bug and Interop's one call does not: a real failure.</summary>
    public bool MissedByInterop => CaughtByPyTorch && !Interop.Caught;
}

/// <summary>Interop's side of the verdict parity.</summary>
public static class VerdictParity
{
    /// <summary>
    /// <c>gradcheck(map, x, parameter)</c> with its defaults (PyTorch's tolerances, slow mode, second order on) at the
    /// shared point. Caught means the report failed, or the check threw because backward did; the reason names what failed.
    /// </summary>
    public static CheckVerdict Check(WrongFunction function, WrongFunctionInputs inputs)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);   // the noisy Function draws from the global generator, as its twin does after torch.manual_seed(0)
        var x = tensor(inputs.X, inputs.Shape, ScalarType.Float64).requires_grad_();
        var parameter = tensor(inputs.Parameter, inputs.ParameterShape, ScalarType.Float64).requires_grad_();
        GradientCheckReport report;
        try
        {
            report = gradcheck(function.Map, x, parameter);
        }
        catch (FunctionBackwardException e)
        {
            return new CheckVerdict(true, $"threw {nameof(FunctionBackwardException)}: {e.Message.Split(". ")[0]}");
        }
        if (report.Passed)
            return new CheckVerdict(false, "passed");
        var failed = report.Pairs.Where(p => !p.Passed).Select(p => $"{p.Derivative} (order {p.Order})")
            .Concat(report.Checks.Where(c => !c.Passed).Select(c => c.Name));
        return new CheckVerdict(true, string.Join("; ", failed));
    }
}
