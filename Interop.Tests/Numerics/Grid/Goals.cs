using System.Reflection;

namespace Interop.Tests.Numerics.Grid;

/// <summary>
/// The goals of issue 11 as lines of text, and the two lists they are kept in: <c>Goals/RegisteredGoals.txt</c>, the
/// goals that hold and run as tests, and <c>Goals/ExpectedToHoldAfterFixes.txt</c>, those that fail today and are
/// ready to move to the first list once the Functions are fixed. Every goal is in exactly one of them (a test says so).
/// </summary>
public static class Goals
{
    public static IReadOnlyList<string> Registered { get; } = Read("RegisteredGoals.txt");

    public static IReadOnlyList<string> ExpectedToHoldAfterFixes { get; } = Read("ExpectedToHoldAfterFixes.txt");

    /// <summary>Every goal the grid and the determinism probe define.</summary>
    public static IReadOnlyList<string> All { get; } = [.. AccuracyGoal.All.Select(g => g.Key), .. DeterminismGoal.All.Select(g => g.Key)];

    /// <summary>What keeps the goal from holding, one line per element or measure (at most <paramref name="limit"/>); empty when it holds.</summary>
    public static IReadOnlyList<string> Failures(string key, int limit = 5)
    {
        var accuracy = AccuracyGoal.All.SingleOrDefault(g => g.Key == key);
        if (accuracy is not null)
        {
            var violations = accuracy.Violations(GridEvaluation.All);
            return [.. violations.Take(limit).Select(v => v.Describe()), .. violations.Count > limit ? [$"… {violations.Count - limit} more"] : Array.Empty<string>()];
        }
        var determinism = DeterminismGoal.All.SingleOrDefault(g => g.Key == key)
            ?? throw new ArgumentException($"No goal is '{key}'.", nameof(key));
        return [.. determinism.Differences().Select(d => $"{d.Key.Name(determinism.ParameterName)}: differs in {d.Value.Layouts} of {DeterminismGoal.Layouts - 1} other layouts, by up to {d.Value.MaxUlps} ulp")];
    }

    private static IReadOnlyList<string> Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Numerics.Goals.{name}")
            ?? throw new InvalidOperationException($"The goal list {name} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0)];
    }
}
