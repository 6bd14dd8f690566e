using Interop.Tests.Numerics;
using Interop.Tests.Numerics.Exact;
using Interop.Tests.Numerics.Grid;
using static TorchSharp.torch;

namespace Interop.CrossCheck;

/// <summary>How an element of Interop's result and the same element of PyTorch's compare, decided by the exact value.</summary>
public enum Verdict
{
    /// <summary>Within <see cref="ValueComparison.Tolerance"/> of each other: no mismatch.</summary>
    Agree,

    /// <summary>A mismatch, but both are within the tolerance of the exact value: they round differently.</summary>
    BothRight,

    /// <summary>A mismatch where Interop is within the tolerance of the exact value and PyTorch is not.</summary>
    InteropRight,

    /// <summary>A mismatch where PyTorch is within the tolerance of the exact value and Interop is not: a real failure.</summary>
    PyTorchRight,

    /// <summary>A mismatch where neither is within the tolerance of the exact value.</summary>
    NeitherRight,
}

/// <summary>One element of one measure of one case, on both sides.</summary>
/// <param name="Result">The case, its exact values and Interop's results (<see cref="GridEvaluation"/>).</param>
/// <param name="PyTorch">PyTorch's value.</param>
/// <param name="PyTorchError">PyTorch's value against the exact one (<see cref="Accuracy.Compare"/>).</param>
/// <param name="Difference">Interop's value against PyTorch's (<see cref="ValueComparison.Difference"/>).</param>
public sealed record ElementComparison(CaseResult Result, Measure Measure, int Element, double PyTorch, ElementError PyTorchError, double Difference, Verdict Verdict)
{
    public double Interop => Result.Actual[Measure][Element];

    public ElementError InteropError => Result.Errors[Measure][Element];

    public BigFloat Exact => Result.Exact[Measure.Quantity][Element];

    public bool Float32 => Result.Case.DType == ScalarType.Float32;

    /// <summary>The element as <see cref="KnownFailures"/> lists it.</summary>
    public string Key => KnownFailures.KeyOf(Result, Measure, Element);
}

/// <summary>
/// The comparison, element by element, of Interop's results with PyTorch's, and the verdict of the exact reference
/// on every mismatch.
/// </summary>
/// <remarks>
/// Errors and differences are in one unit per dtype. float64: relative to the exact value, |a − b| / max(|exact|,
/// 2^−1022), computed exactly. float32: ulps, the number of floats between the two (for an error, between the
/// result and the exact value rounded to float32). Where the exact value is below the normal range only a finite
/// result is asked for (as in issue 11's goals); where it is zero, ±0; where it is beyond the range, that infinity.
/// </remarks>
public static class ValueComparison
{
    /// <summary>
    /// How far a result may be from the exact value to count as right, and the two sides from each other to agree, in
    /// the units above. float64: 1e-13 for y and the gradients, the cost of rounding one logit β·x of the grid's
    /// largest size (|βx| = 700 turns the rounding of βx, 2^−53 relative, into 700 · 2^−53 ≈ 7.8e-14 in exp(−βx)),
    /// which neither side avoids; 1e-12 at second order, ten times that, for the longer chain of operations.
    /// float32: 32 ulps and 256 ulps, the same cost for logits up to |βx| = 32 (a float32 computation of a larger
    /// logit, up to 80 in the grid, can miss the exact value by more, and is reported).
    /// </summary>
    public static double Tolerance(ScalarType dtype, int order) => (dtype, order) switch
    {
        (ScalarType.Float32, < 2) => 32,
        (ScalarType.Float32, _) => 256,
        (_, < 2) => 1e-13,
        _ => 1e-12,
    };

    /// <summary>Whether the limits family's second order is left out: the docs promise the first-order limits only.</summary>
    public static bool IsJudged(GridCase gridCase, Measure measure) => measure.Order < 2 || gridCase.Family != "limits";

    /// <summary>Every judged element of <paramref name="result"/> against <paramref name="pytorch"/>'s values (NaN throughout when PyTorch raised).</summary>
    public static IEnumerable<ElementComparison> Compare(CaseResult result, PyTorchCase pytorch)
    {
        bool float32 = result.Case.DType == ScalarType.Float32;
        foreach (var measure in Measure.All.Where(m => IsJudged(result.Case, m)))
        {
            var exact = result.Exact[measure.Quantity];
            double[]? theirs = pytorch.Values is null ? [.. Enumerable.Repeat(double.NaN, exact.Length)] : pytorch.Values.GetValueOrDefault(PyTorchCase.Key(measure));
            if (theirs is null)
                throw new InvalidDataException($"{result.Case.Id}: PyTorch's results have no '{PyTorchCase.Key(measure)}'.");
            if (theirs.Length != exact.Length)
                throw new InvalidDataException($"{result.Case.Id} {PyTorchCase.Key(measure)}: PyTorch gave {theirs.Length} values, the exact reference {exact.Length}.");
            double tolerance = Tolerance(result.Case.DType, measure.Order);
            for (int i = 0; i < exact.Length; i++)
            {
                double ours = result.Actual[measure][i];
                var theirError = Accuracy.Compare(theirs[i], exact[i], float32);
                double difference = Difference(ours, theirs[i], exact[i], float32);
                var verdict = difference <= tolerance ? Verdict.Agree
                    : (IsRight(result.Errors[measure][i], tolerance), IsRight(theirError, tolerance)) switch
                    {
                        (true, true) => Verdict.BothRight,
                        (true, false) => Verdict.InteropRight,
                        (false, true) => Verdict.PyTorchRight,
                        _ => Verdict.NeitherRight,
                    };
                yield return new ElementComparison(result, measure, i, theirs[i], theirError, difference, verdict);
            }
        }
    }

    /// <summary>Whether an element is within <paramref name="tolerance"/> of the exact value (see the remarks above).</summary>
    public static bool IsRight(ElementError error, double tolerance) =>
        error.Class == ExactClass.BelowNormal ? !error.IsWrongInKind : error.Error <= tolerance;

    /// <summary>
    /// How far apart two results are: 0 when they are the same number (±0 alike, NaN alike), +∞ when one is not finite
    /// and the other differs; else as in the remarks above, where an exact value below the normal range makes any two
    /// finite results agree.
    /// </summary>
    public static double Difference(double a, double b, BigFloat exact, bool float32)
    {
        if (a == b || (double.IsNaN(a) && double.IsNaN(b)))
            return 0;
        if (!double.IsFinite(a) || !double.IsFinite(b))
            return double.PositiveInfinity;
        if (Accuracy.Compare(a, exact, float32).Class == ExactClass.BelowNormal)
            return 0;
        if (float32)
            return Accuracy.UlpDistance((float)a, (float)b);
        using (BigFloat.UsePrecision(64))
            return (BigFloat.Abs(BigFloat.FromDouble(a) - BigFloat.FromDouble(b))
                / BigFloat.Max(BigFloat.Abs(exact), BigFloat.FromDouble(SmallestNormalDouble))).ToDouble();
    }

    private const double SmallestNormalDouble = 2.2250738585072014e-308;
}
