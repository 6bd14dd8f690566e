using System.Text;
using Interop.Reference;
using Interop.Tests.Numerics;
using Interop.Tests.Numerics.Grid;
using static TorchSharp.torch;

namespace Interop.CrossCheck;

/// <summary>Both sides on the shared cases, compared, and the wrong Functions' verdicts: what the report prints.</summary>
public sealed class CrossCheckReport
{
    private CrossCheckReport(PyTorchFile pytorch, IReadOnlyList<CaseResult> results, IReadOnlyList<ElementComparison> elements, IReadOnlyList<ParityRow> parity, KnownFailures known)
    {
        PyTorch = pytorch;
        Results = results;
        Elements = elements;
        Parity = parity;
        Known = known;
    }

    public PyTorchFile PyTorch { get; }

    public IReadOnlyList<CaseResult> Results { get; }

    public IReadOnlyList<ElementComparison> Elements { get; }

    public IReadOnlyList<ParityRow> Parity { get; }

    /// <summary>The failures that docs/pytorch-crosscheck.md explains and that are not fixed (KnownFailures.txt).</summary>
    public KnownFailures Known { get; }

    private IEnumerable<ElementComparison> ElementFailures => Elements.Where(e => e.Verdict == Verdict.PyTorchRight);

    /// <summary>Known failures that no longer fail: the list must shrink with them.</summary>
    public IEnumerable<string> StaleKnownFailures => Known.Except(ElementFailures.Select(e => e.Key));

    public IEnumerable<ElementComparison> Mismatches => Elements.Where(e => e.Verdict != Verdict.Agree);

    /// <summary>
    /// PyTorch is right where Interop is not and the failure is not a known one, a known failure no longer fails, or
    /// PyTorch's checks catch a bug that Interop's gradcheck misses.
    /// </summary>
    public bool HasFailures => ElementFailures.Any(e => !Known.Contains(e.Key)) || StaleKnownFailures.Any() || Parity.Any(row => row.MissedByInterop);

    /// <summary>
    /// Checks that PyTorch answered every case and read the same bits, then computes Interop's results and the exact
    /// values (<see cref="GridEvaluation"/>) of the cases in the file, compares, and runs the wrong Functions.
    /// </summary>
    /// <exception cref="InvalidDataException">PyTorch's file lacks a case or a wrong Function, or read an input differently.</exception>
    public static CrossCheckReport Compute(CaseFile cases, PyTorchFile pytorch, KnownFailures known)
    {
        var pytorchCases = pytorch.Grid.ToDictionary(c => c.Id);
        foreach (var shared in cases.Grid)
        {
            if (!pytorchCases.TryGetValue(shared.Id, out var answered))
                throw new InvalidDataException($"PyTorch's results have no case '{shared.Id}'.");
            foreach (var (name, values) in shared.Inputs)
                if (!answered.Inputs.TryGetValue(name, out var read) || !read.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(values.Select(BitConverter.DoubleToInt64Bits)))
                    throw new InvalidDataException($"{shared.Id}: PyTorch read input '{name}' as other bits than were written.");
        }
        var results = GridEvaluation.Evaluate([.. cases.Grid.Select(c => c.ToGridCase())]);
        var elements = results.SelectMany(r => ValueComparison.Compare(r, pytorchCases[r.Case.Id])).ToList();

        var pytorchVerdicts = pytorch.WrongFunctions.ToDictionary(v => v.Name);
        var parity = WrongFunction.All.Select(function =>
        {
            var inputs = cases.WrongFunctions.SingleOrDefault(i => i.Name == function.Name)
                ?? throw new InvalidDataException($"The cases have no inputs for {function.Name}.");
            if (!pytorchVerdicts.TryGetValue(function.Name, out var theirs))
                throw new InvalidDataException($"PyTorch's results have no verdicts for {function.Name}.");
            return new ParityRow(function, VerdictParity.Check(function, inputs), theirs);
        }).ToList();
        return new CrossCheckReport(pytorch, results, elements, parity, known);
    }

    /// <summary>The summary, the verdict parity, the table per module and quantity, the mismatches per family, every failure and every mismatch.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        Summary(md);
        VerdictTable(md);
        LargestDifferences(md);
        MismatchesByFamily(md);
        Failures(md);
        EveryMismatch(md);
        return md.ToString();
    }

    private void Summary(StringBuilder md)
    {
        var mismatches = Mismatches.ToList();
        int Count(Verdict v) => mismatches.Count(e => e.Verdict == v);
        md.AppendLine($"PyTorch {PyTorch.Torch} (Python {PyTorch.Python}) against Interop on {Results.Count} cases of issue 11's grid " +
            $"({Results.Count(r => r.Case.DType == ScalarType.Float64)} float64, {Results.Count(r => r.Case.DType == ScalarType.Float32)} float32): " +
            $"{Elements.Count} elements compared, {mismatches.Count} mismatches. Of those, Interop is right and PyTorch is not in {Count(Verdict.InteropRight)}, " +
            $"PyTorch is right and Interop is not in {Count(Verdict.PyTorchRight)}, both are right in {Count(Verdict.BothRight)} " +
            $"and neither is in {Count(Verdict.NeitherRight)}.");
        md.AppendLine();
        md.AppendLine($"Tolerances, for an element to be right (that far from the exact value) and for the two sides to agree (that far from each other): " +
            $"float64 {ValueComparison.Tolerance(ScalarType.Float64, 1):0e0} for y and the gradients and {ValueComparison.Tolerance(ScalarType.Float64, 2):0e0} at second order, " +
            $"relative to the exact value; float32 {ValueComparison.Tolerance(ScalarType.Float32, 1)} and {ValueComparison.Tolerance(ScalarType.Float32, 2)} ulps. " +
            "The second order of the limits family is left out (the docs promise first-order limits only).");
        md.AppendLine();
        md.AppendLine($"Wrong Functions: Interop's gradcheck (one call) catches {Parity.Count(r => r.Interop.Caught)} of {Parity.Count}; " +
            $"torch.autograd.gradcheck {Parity.Count(r => r.PyTorch.Gradcheck.Caught)}, gradgradcheck {Parity.Count(r => r.PyTorch.Gradgradcheck.Caught)}, " +
            $"the two together {Parity.Count(r => r.CaughtByPyTorch)}; PyTorch catches and Interop misses {Parity.Count(r => r.MissedByInterop)}.");
        md.AppendLine();
    }

    private void LargestDifferences(StringBuilder md)
    {
        md.AppendLine("### Largest differences and errors per module and quantity");
        md.AppendLine();
        md.AppendLine("| module | quantity | dtype | elements | max \\|Interop − PyTorch\\| | max Interop error | max PyTorch error | mismatches | Interop right | PyTorch right | both right | neither |");
        md.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var slices = Elements.ToLookup(e => (e.Result.Case.Module, e.Measure, e.Result.Case.DType));
        foreach (var (module, measure, dtype) in NumericsGrid.Modules.SelectMany(module => Measure.All.SelectMany(measure => NumericsGrid.DTypes.Select(dtype => (module, measure, dtype)))))
        {
            var slice = slices[(module, measure, dtype)].ToList();
            if (slice.Count == 0)
                continue;
            bool float32 = dtype == ScalarType.Float32;
            md.AppendLine($"| {module} | {measure.Name(ParameterName(module))} | {DTypeName(dtype)} | {slice.Count} " +
                $"| {Format(slice.Max(e => e.Difference), float32)} | {Format(MaxError(slice.Select(e => e.InteropError)), float32)} " +
                $"| {Format(MaxError(slice.Select(e => e.PyTorchError)), float32)} | {VerdictCells(slice)} |");
        }
        md.AppendLine();
    }

    private void MismatchesByFamily(StringBuilder md)
    {
        md.AppendLine("### Mismatches per module, dtype and family");
        md.AppendLine();
        md.AppendLine("| module | dtype | family | elements | mismatches | Interop right | PyTorch right | both right | neither |");
        md.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var slice in Elements.GroupBy(e => (e.Result.Case.Module, e.Result.Case.DType, e.Result.Case.Family)).Where(g => g.Any(e => e.Verdict != Verdict.Agree)))
            md.AppendLine($"| {slice.Key.Module} | {DTypeName(slice.Key.DType)} | {slice.Key.Family} | {slice.Count()} | {VerdictCells([.. slice])} |");
        md.AppendLine();
    }

    private void Failures(StringBuilder md)
    {
        var failures = ElementFailures.ToList();
        md.AppendLine("### Where PyTorch is right and Interop is not (failures)");
        md.AppendLine();
        var stale = StaleKnownFailures.ToList();
        if (stale.Count > 0)
        {
            md.AppendLine($"Listed in {KnownFailures.FileName} but no longer failing (remove them from the list):");
            md.AppendLine();
            foreach (string key in stale)
                md.AppendLine($"- {key}");
            md.AppendLine();
        }
        if (failures.Count == 0)
        {
            md.AppendLine("None.");
            md.AppendLine();
            return;
        }
        md.AppendLine($"{failures.Count(e => !Known.Contains(e.Key))} new, {failures.Count(e => Known.Contains(e.Key))} known ({KnownFailures.FileName}; the reasons are in docs/pytorch-crosscheck.md).");
        md.AppendLine();
        md.AppendLine("| case | quantity | element | Interop | PyTorch | exact | Interop error | PyTorch error | |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|---|");
        foreach (var e in failures)
            md.AppendLine($"| {e.Result.Case.Id} | {e.Measure.Name(ParameterName(e.Result.Case.Module))} | [{e.Element}] | {ElementCells(e)} | {(Known.Contains(e.Key) ? "known" : "**new**")} |");
        md.AppendLine();
        Inputs(md, failures);
    }

    private void EveryMismatch(StringBuilder md)
    {
        var groups = Mismatches.GroupBy(e => (e.Result, e.Measure)).ToList();
        md.AppendLine("### Every mismatch, by case and quantity, with its worst element");
        md.AppendLine();
        if (groups.Count == 0)
        {
            md.AppendLine("None.");
            md.AppendLine();
            return;
        }
        md.AppendLine($"<details><summary>{groups.Count} case × quantity rows, {groups.Sum(g => g.Count())} elements</summary>");
        md.AppendLine();
        md.AppendLine("| case | quantity | mismatched | verdicts | worst element | Interop | PyTorch | exact | Interop error | PyTorch error |");
        md.AppendLine("|---|---|--:|---|--:|--:|--:|--:|--:|--:|");
        foreach (var group in groups)
        {
            var (result, measure) = group.Key;
            var worst = group.MaxBy(e => e.Difference)!;
            var verdicts = string.Join(", ", group.GroupBy(e => e.Verdict).OrderBy(g => g.Key).Select(g => $"{Describe(g.Key)} {g.Count()}"));
            md.AppendLine($"| {result.Case.Id} | {measure.Name(ParameterName(result.Case.Module))} | {group.Count()} of {result.Exact[measure.Quantity].Length} " +
                $"| {verdicts} | [{worst.Element}] | {ElementCells(worst)} |");
        }
        md.AppendLine();
        Inputs(md, Mismatches);
        var raised = PyTorch.Grid.Where(c => c.Error is not null).ToList();
        if (raised.Count > 0)
        {
            md.AppendLine("PyTorch raised on these cases (all their elements count as NaN):");
            md.AppendLine();
            foreach (var c in raised)
                md.AppendLine($"- {c.Id}: {c.Error}");
            md.AppendLine();
        }
        md.AppendLine("</details>");
        md.AppendLine();
    }

    private void VerdictTable(StringBuilder md)
    {
        md.AppendLine("### Verdict parity: deliberately wrong Functions");
        md.AppendLine();
        md.AppendLine("| bug | Function (map, x's shape) | Interop gradcheck, one call | torch gradcheck | torch gradgradcheck |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var row in Parity)
            md.AppendLine($"| {row.Function.Bug} | `{row.Function.Name}` ({row.Function.Map.Name}, [{string.Join(", ", row.Function.Shape)}]) " +
                $"| {Cell(row.Interop)} | {Cell(row.PyTorch.Gradcheck)} | {Cell(row.PyTorch.Gradgradcheck)} |");
        md.AppendLine();
    }

    private static void Inputs(StringBuilder md, IEnumerable<ElementComparison> elements)
    {
        md.AppendLine("The inputs of those cases:");
        md.AppendLine();
        foreach (var result in elements.Select(e => e.Result).Distinct())
            md.AppendLine($"- {result.Case.Id}: {result.Case.Describe(ParameterName(result.Case.Module))}");
        md.AppendLine();
    }

    private static string VerdictCells(IReadOnlyCollection<ElementComparison> elements)
    {
        int Of(Verdict v) => elements.Count(e => e.Verdict == v);
        return $"{elements.Count(e => e.Verdict != Verdict.Agree)} | {Of(Verdict.InteropRight)} | {Of(Verdict.PyTorchRight)} | {Of(Verdict.BothRight)} | {Of(Verdict.NeitherRight)}";
    }

    private static string ElementCells(ElementComparison e) =>
        $"{e.Interop:G17} | {e.PyTorch:G17} | {e.Exact.ToString(17)} | {Format(e.InteropError.Error, e.Float32)} | {Format(e.PyTorchError.Error, e.Float32)}";

    private static string DTypeName(ScalarType dtype) => dtype == ScalarType.Float32 ? "float32" : "float64";

    internal static string ParameterName(string module) => ModuleMap.All.Single(m => m.Name == module).ParameterName;

    private static double MaxError(IEnumerable<ElementError> errors) =>
        errors.Where(e => e.Class != ExactClass.BelowNormal || e.IsWrongInKind).Select(e => e.Error).DefaultIfEmpty(0).Max();

    private static string Format(double value, bool float32) => value switch
    {
        double.PositiveInfinity => "wrong in kind",
        0 => "0",
        _ when float32 => $"{value:G3} ulp",
        _ => value.ToString("0.#e0"),
    };

    private static string Describe(Verdict verdict) => verdict switch
    {
        Verdict.InteropRight => "Interop right",
        Verdict.PyTorchRight => "**PyTorch right (failure)**",
        Verdict.BothRight => "both right",
        _ => "neither right",
    };

    private static string Cell(CheckVerdict verdict) => (verdict.Caught ? "**caught**: " : "missed: ") + verdict.Reason.Replace("|", "\\|");
}
