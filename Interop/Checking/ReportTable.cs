using System.Globalization;
using System.Text;

namespace Interop.Checking;

/// <summary>Formats a <see cref="GradientCheckReport"/> as plain text with aligned columns, for a console, a log or an exception message.</summary>
internal static class ReportTable
{
    public static string Format(GradientCheckReport report)
    {
        var options = report.Options;
        var text = new StringBuilder();
        text.AppendLine($"{report.Check} of {report.Subject}: {(report.Passed ? "passed" : "FAILED")}");
        text.AppendLine(report.Check == "compare"
            ? $"atol {Number(options.atol)}, rtol {Number(options.rtol)}; an element passes when |{report.ActualLabel} − {report.ExpectedLabel}| ≤ atol + rtol·|{report.ExpectedLabel}|"
            : $"eps {Number(options.eps)}, atol {Number(options.atol)}, rtol {Number(options.rtol)}, {(options.fast_mode ? "fast" : "slow")} mode, " +
              $"nondet_tol {Number(options.nondet_tol)}, {(report.HadFloat32Inputs ? $"float32 {options.float32}, " : "")}seed {options.seed}; " +
              $"an element passes when |{report.ActualLabel} − {report.ExpectedLabel}| ≤ atol + rtol·|{report.ExpectedLabel}|");
        text.AppendLine();

        string[] header = ["order", "derivative", "max abs err", "max rel err", "worst element", report.ExpectedLabel, report.ActualLabel, "tolerance", "result"];
        var rows = report.Pairs.Select(pair => new[]
        {
            pair.Order.ToString(CultureInfo.InvariantCulture),
            pair.Derivative,
            Error(pair.MaxAbsError),
            Error(pair.MaxRelError),
            pair.WorstElement,
            Value(pair.Expected),
            Value(pair.Actual),
            Error(pair.Tolerance),
            pair.Passed ? "ok" : "FAILED",
        });
        AppendColumns(text, [header, .. rows], rightAligned: [false, false, true, true, false, true, true, true, false]);

        if (report.Checks.Count > 0)
        {
            text.AppendLine();
            AppendColumns(text, report.Checks.Select(check => new[] { check.Name, check.Passed ? "ok" : "FAILED", check.Detail }).ToList(), rightAligned: [false, false, false]);
        }
        foreach (var warning in report.Warnings)
            text.AppendLine($"warning: {warning}");
        return text.ToString().TrimEnd();
    }

    /// <summary>An option as written: shortest round-trip form (1e-06, 0.001).</summary>
    private static string Number(double value) => value.ToString("g", CultureInfo.InvariantCulture);

    /// <summary>A measurement in a sentence: three significant digits (0, 8.98, 1.05e-09).</summary>
    internal static string Short(double value) => value.ToString("g3", CultureInfo.InvariantCulture);

    private static string Error(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);

    private static string Value(double value) => value.ToString("G10", CultureInfo.InvariantCulture);

    private static void AppendColumns(StringBuilder text, IReadOnlyList<string[]> rows, bool[] rightAligned)
    {
        var widths = Enumerable.Range(0, rightAligned.Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => rightAligned[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
