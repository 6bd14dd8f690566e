namespace Interop.Checking;

/// <summary>Thrown by <see cref="GradientCheckReport.ThrowIfFailed"/>: the message is the report's table, and the report itself comes along.</summary>
public sealed class GradientCheckException : Exception
{
    /// <summary>Wraps a failed report.</summary>
    public GradientCheckException(GradientCheckReport report)
        : base((report ?? throw new ArgumentNullException(nameof(report))).ToString())
    {
        Report = report;
    }

    /// <summary>The failed report.</summary>
    public GradientCheckReport Report { get; }
}
