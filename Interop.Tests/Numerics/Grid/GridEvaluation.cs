using Interop.Tests.Numerics.Exact;

namespace Interop.Tests.Numerics.Grid;

/// <summary>A grid case's exact values, what the Function gave, and the error of each element.</summary>
public sealed record CaseResult(GridCase Case, ExactQuantities Exact, IReadOnlyDictionary<Measure, double[]> Actual, IReadOnlyDictionary<Measure, ElementError[]> Errors);

/// <summary>The whole grid through the exact reference and through today's Functions, computed once per process.</summary>
public static class GridEvaluation
{
    private static readonly Lazy<IReadOnlyList<CaseResult>> Everything = new(() => Evaluate(NumericsGrid.Cases));

    public static IReadOnlyList<CaseResult> All => Everything.Value;

    /// <summary>The exact values on both cores (the reference is plain managed code), then the Functions one case at a time.</summary>
    public static IReadOnlyList<CaseResult> Evaluate(IReadOnlyList<GridCase> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var exact = cases.AsParallel().AsOrdered().WithDegreeOfParallelism(2)
            .Select(Exact).ToList();
        return [.. cases.Select((c, i) => Compare(c, exact[i], FunctionRun.Of(c)))];
    }

    private static ExactQuantities Exact(GridCase gridCase)
    {
        try
        {
            return ExactReference.Evaluate(ExactMap.Named(gridCase.Module), gridCase.ToExactInputs());
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{gridCase.Id}: {e.Message}", e);
        }
    }

    private static CaseResult Compare(GridCase gridCase, ExactQuantities exact, IReadOnlyDictionary<Measure, double[]> actual)
    {
        bool float32 = gridCase.DTypeName == "float32";
        var errors = Measure.All.ToDictionary(m => m, m =>
        {
            var (values, references) = (actual[m], exact[m.Quantity]);
            if (values.Length != references.Length)
                throw new InvalidOperationException($"{gridCase.Id} {m}: the Function gave {values.Length} values, the reference {references.Length}.");
            return values.Select((v, i) => Accuracy.Compare(v, references[i], float32)).ToArray();
        });
        return new CaseResult(gridCase, exact, actual, errors);
    }
}
