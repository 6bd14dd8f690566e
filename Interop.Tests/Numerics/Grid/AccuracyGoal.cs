using Interop.Reference;
using Interop.Tests.Numerics.Exact;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Grid;

/// <summary>
/// Issue 11's accuracy goal on one slice of the grid (a module, a dtype, a family and a measure): in float64, every
/// element within 1e-12 relative of the exact value at first order (y included) and 1e-10 at second; in float32,
/// within 4 ulps of the float32 rounding of the exact value at first order. Everywhere, exact zeros come out ±0 and
/// results beyond the range come out as the same infinity. Exact values below the normal range are judged only by
/// kind: the result must be finite there.
/// </summary>
/// <remarks>
/// float32 second order has no goal, nor does second order at the limits (the docs promise first-order limits only);
/// the report still measures both.
/// </remarks>
public sealed record AccuracyGoal(string Module, ScalarType DType, string Family, Measure Measure)
{
    /// <summary>The largest error allowed (relative in float64, ulps in float32), or null where there is no goal.</summary>
    public static double? ToleranceFor(ScalarType dtype, string family, Measure measure) => (dtype, measure.Order) switch
    {
        (_, 2) when family == "limits" => null,
        (ScalarType.Float64, 2) => 1e-10,
        (ScalarType.Float64, _) => 1e-12,
        (_, 2) => null,
        _ => 4,
    };

    public double Tolerance => ToleranceFor(DType, Family, Measure)!.Value;

    public string ParameterName => ModuleMap.All.Single(m => m.Name == Module).ParameterName;

    /// <summary>As in the goal lists: "accuracy", module, dtype, family, quantity and path.</summary>
    public string Key => string.Join(' ', "accuracy", Module, DType == ScalarType.Float32 ? "float32" : "float64", Family, Measure.Name(ParameterName));

    /// <summary>Every goal that the grid has cases for.</summary>
    public static IReadOnlyList<AccuracyGoal> All { get; } =
    [
        .. NumericsGrid.Cases.Select(c => (c.Module, c.DType, c.Family)).Distinct()
            .SelectMany(slice => Measure.All.Where(m => ToleranceFor(slice.DType, slice.Family, m) is not null)
                .Select(m => new AccuracyGoal(slice.Module, slice.DType, slice.Family, m))),
    ];

    /// <summary>The elements of this slice that miss the goal, worst first.</summary>
    public IReadOnlyList<Violation> Violations(IEnumerable<CaseResult> results) =>
    [
        .. results.Where(r => r.Case.Module == Module && r.Case.DType == DType && r.Case.Family == Family)
            .SelectMany(r => r.Errors[Measure].Select((error, i) => new Violation(r, Measure, i, error)))
            .Where(v => (v.Error.Class != ExactClass.BelowNormal || v.Error.IsWrongInKind) && v.Error.Error > Tolerance)
            .OrderByDescending(v => v.Error.Error),
    ];
}

/// <summary>One element that misses its goal (or, in the report, the worst element of a row).</summary>
public sealed record Violation(CaseResult Result, Measure Measure, int Element, ElementError Error)
{
    public double Actual => Result.Actual[Measure][Element];

    public BigFloat Exact => Result.Exact[Measure.Quantity][Element];

    /// <summary>For example: "Softmax float64 saturated #0 dE/dbeta plain [0]: got -2.549e-17, exact -4.24835425529e-18 (error 5.0e+00); x = …".</summary>
    public string Describe()
    {
        var parameterName = ModuleMap.All.Single(m => m.Name == Result.Case.Module).ParameterName;
        var error = Error.IsWrongInKind ? "wrong in kind" : $"error {Error.Error:G3}";
        return $"{Result.Case.Id} {Measure.Name(parameterName)} [{Element}]: got {Actual:R}, exact {Exact.ToString(12)} ({error}); {Result.Case.Describe(parameterName)}";
    }
}
