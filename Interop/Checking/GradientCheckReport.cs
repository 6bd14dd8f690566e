namespace Interop.Checking;

/// <summary>
/// What a <c>gradcheck</c>, <c>gradgradcheck</c> or <c>compare</c> found: a verdict per Jacobian (with its error and the
/// worst element located), the backward's properties, the tolerances used and any warnings. It holds numbers, not
/// tensors, so it needs no disposing and can be kept, shown (<see cref="ToString"/> gives a table) or serialized.
/// </summary>
public sealed class GradientCheckReport
{
    internal GradientCheckReport(
        string check, string subject, string expectedLabel, string actualLabel, GradientCheckOptions options,
        IReadOnlyList<JacobianPairResult> pairs, IReadOnlyList<CheckResult> checks, IReadOnlyList<string> warnings, bool hadFloat32Inputs)
    {
        HadFloat32Inputs = hadFloat32Inputs;
        Check = check;
        Subject = subject;
        ExpectedLabel = expectedLabel;
        ActualLabel = actualLabel;
        Options = options;
        Pairs = pairs;
        Checks = checks;
        Warnings = warnings;
    }

    /// <summary>Whether an input was narrower than float64, so that the float32 policy applied.</summary>
    internal bool HadFloat32Inputs { get; }

    /// <summary><c>gradcheck</c>, <c>gradgradcheck</c> or <c>compare</c>.</summary>
    public string Check { get; }

    /// <summary>What was checked, e.g. <c>Softmax: y_i = exp(−β x_i) / Σ_j exp(−β x_j)</c>.</summary>
    public string Subject { get; }

    /// <summary>What the expected side is: <c>numerical</c> (finite differences) or <c>autograd</c> (the reference's backward).</summary>
    public string ExpectedLabel { get; }

    /// <summary>What the actual side is: <c>analytical</c> (the function's backward).</summary>
    public string ActualLabel { get; }

    /// <summary>The options used, tolerances included.</summary>
    public GradientCheckOptions Options { get; }

    /// <summary>One verdict per (output, input) pair, first order before second.</summary>
    public IReadOnlyList<JacobianPairResult> Pairs { get; }

    /// <summary>The backward's properties: reentrancy, zero grad_output, gradient shapes and dtypes (or, for compare, the forward).</summary>
    public IReadOnlyList<CheckResult> Checks { get; }

    /// <summary>Things to know about how the check ran, such as float32 inputs being upcast; empty when there are none.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Whether every pair and every property passed.</summary>
    public bool Passed => Pairs.All(pair => pair.Passed) && Checks.All(check => check.Passed);

    /// <summary>Returns this report if it passed; otherwise throws a <see cref="GradientCheckException"/> whose message is the table.</summary>
    public GradientCheckReport ThrowIfFailed() => Passed ? this : throw new GradientCheckException(this);

    /// <summary>The report as a table: one row per pair with errors, worst element and values, then the properties and warnings.</summary>
    public override string ToString() => ReportTable.Format(this);
}
