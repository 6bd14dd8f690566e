// Issue 11's measurement of the Functions: every grid case through the exact reference and through the public API,
// then the maximum error per module × quantity × path × dtype × order with its worst case, the goals that fail, the
// determinism probe, and the state of the goal lists. Markdown on stdout.
//
//   dotnet run -c Release --project Interop.Tests/NumericsReport
//   dotnet run -c Release --project Interop.Tests/NumericsReport -- --update-goal-lists Interop.Tests/Numerics/Goals
//
// --update-goal-lists files every goal that neither list has by whether it holds, and moves goals that hold from
// ExpectedToHoldAfterFixes.txt to RegisteredGoals.txt. It never moves a goal back: a registered goal that fails is
// a regression, reported and left where it is.

using System.Diagnostics;
using System.Globalization;
using Interop.Reference;
using Interop.Tests.Numerics;
using Interop.Tests.Numerics.Grid;
using static TorchSharp.torch;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? listsFolder = args.Length == 2 && args[0] == "--update-goal-lists" ? args[1] : null;
if (args.Length > 0 && listsFolder is null)
{
    Console.Error.WriteLine("usage: NumericsReport [--update-goal-lists <folder of RegisteredGoals.txt and ExpectedToHoldAfterFixes.txt>]");
    return 2;
}

var clock = Stopwatch.StartNew();
var results = GridEvaluation.All;
var gridSeconds = clock.Elapsed.TotalSeconds;
Console.WriteLine("# Accuracy and determinism of the Functions");
Console.WriteLine();
Console.WriteLine($"{results.Count} grid cases ({results.Count(r => r.Case.DType == ScalarType.Float64)} float64, {results.Count(r => r.Case.DType == ScalarType.Float32)} float32) " +
    $"in the families {string.Join(", ", NumericsGrid.Families)}; libtorch threads: {get_num_threads()}; evaluated in {gridSeconds:F0} s.");
Console.WriteLine("Error: float64, |got − exact| / |exact| (for exact values in the normal range); float32, ulps from the float32 rounding of the exact value.");
Console.WriteLine("\"zeros\": exact zeros that did not come out ±0, of all exact zeros; \"kind\": NaN or ±∞ where the exact value is finite, or the wrong infinity.");
Console.WriteLine("Second-order rows leave out the limits family (the docs promise first-order limits only); exact values below the normal range are not counted.");
Console.WriteLine();

Console.WriteLine("## Maximum error per module, quantity, path, dtype and order");
Console.WriteLine();
Console.WriteLine("| module | quantity | path | dtype | order | max error | goal | zeros | kind | worst case |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var module in NumericsGrid.Modules)
    foreach (var measure in Measure.All)
        foreach (var dtype in NumericsGrid.DTypes)
        {
            var elements = results.Where(r => r.Case.Module == module && r.Case.DType == dtype && (measure.Order < 2 || r.Case.Family != "limits"))
                .SelectMany(r => r.Errors[measure].Select((error, i) => new Violation(r, measure, i, error))).ToList();
            var judged = elements.Where(v => v.Error.Class == ExactClass.Normal && !v.Error.IsWrongInKind).ToList();
            var worst = judged.MaxBy(v => v.Error.Error);
            var zeros = elements.Where(v => v.Error.Class == ExactClass.Zero).ToList();
            int wrongInKind = elements.Count(v => v.Error.IsWrongInKind && v.Error.Class != ExactClass.Zero);
            var goals = NumericsGrid.Families.Select(f => AccuracyGoal.ToleranceFor(dtype, f, measure)).Where(t => t is not null).Distinct().ToList();
            string goal = goals.Count == 0 ? "—" : dtype == ScalarType.Float32 ? $"{goals[0]} ulp" : $"{goals[0]:G1}";
            string parameterName = ModuleMap.All.Single(m => m.Name == module).ParameterName;
            Console.WriteLine($"| {module} | {measure.Quantity.Name(parameterName)} | {measure.PathName} | {(dtype == ScalarType.Float32 ? "float32" : "float64")} | {measure.Order} " +
                $"| {(worst is null ? "—" : Format(worst.Error.Error, dtype))} | {goal} | {zeros.Count(v => v.Error.IsWrongInKind)}/{zeros.Count} | {wrongInKind} " +
                $"| {(worst is null || worst.Error.Error == 0 ? "" : Short(worst))} |");
        }
Console.WriteLine();

Console.WriteLine("## Goals that fail today, with their worst element");
Console.WriteLine();
var failing = AccuracyGoal.All.Select(g => (Goal: g, Violations: g.Violations(results))).Where(g => g.Violations.Count > 0).ToList();
foreach (var (goal, violations) in failing)
    Console.WriteLine($"- `{goal.Key}`: {violations.Count} element(s); worst {violations[0].Describe()}");
Console.WriteLine();

Console.WriteLine("## Goals that hold with the least margin (largest error / tolerance)");
Console.WriteLine();
var margins = AccuracyGoal.All.Where(g => !failing.Any(f => f.Goal == g))
    .Select(g => (Goal: g, Worst: results.Where(r => r.Case.Module == g.Module && r.Case.DType == g.DType && r.Case.Family == g.Family)
        .SelectMany(r => r.Errors[g.Measure]).Where(e => e.Class == ExactClass.Normal).Select(e => e.Error).DefaultIfEmpty(0).Max()))
    .OrderByDescending(m => m.Worst / m.Goal.Tolerance).Take(10);
foreach (var (goal, worst) in margins)
    Console.WriteLine($"- `{goal.Key}`: {Format(worst, goal.DType)} against {Format(goal.Tolerance, goal.DType)}");
Console.WriteLine();

Console.WriteLine($"## Determinism: the same values in {DeterminismGoal.Layouts} memory layouts at 1 thread");
Console.WriteLine();
Console.WriteLine("| module | dtype | shape | identical | what differs (layouts of 18, max ulps) |");
Console.WriteLine("|---|---|---|---|---|");
var determinism = DeterminismGoal.All.Select(g => (Goal: g, Differences: g.Differences())).ToList();
foreach (var (goal, differences) in determinism)
    Console.WriteLine($"| {goal.Module} | {(goal.DType == ScalarType.Float32 ? "float32" : "float64")} | [{string.Join(", ", goal.Shape)}] | {(differences.Count == 0 ? "yes" : "no")} " +
        $"| {string.Join("; ", differences.Select(d => $"{d.Key.Name(goal.ParameterName)} ({d.Value.Layouts}, {d.Value.MaxUlps})"))} |");
Console.WriteLine();
Console.WriteLine($"{determinism.Count(d => d.Differences.Count > 0)} of {determinism.Count} groups differ across layouts.");
Console.WriteLine();

var failingKeys = failing.Select(f => f.Goal.Key).Concat(determinism.Where(d => d.Differences.Count > 0).Select(d => d.Goal.Key)).ToHashSet();
bool Holds(string key) => !failingKeys.Contains(key);
var regressions = Goals.Registered.Where(key => !Holds(key)).ToList();
var promotable = Goals.ExpectedToHoldAfterFixes.Where(Holds).ToList();
var unlisted = Goals.All.Except(Goals.Registered).Except(Goals.ExpectedToHoldAfterFixes).ToList();
Console.WriteLine("## Goal lists");
Console.WriteLine();
Console.WriteLine($"{Goals.All.Count} goals: {Goals.All.Count(Holds)} hold today. RegisteredGoals.txt has {Goals.Registered.Count} (run as tests), ExpectedToHoldAfterFixes.txt {Goals.ExpectedToHoldAfterFixes.Count}.");
Console.WriteLine();
Console.WriteLine($"- Registered but failing (regressions): {(regressions.Count == 0 ? "none" : string.Join(", ", regressions.Select(k => $"`{k}`")))}");
Console.WriteLine($"- Expected after fixes and holding now (ready to register): {(promotable.Count == 0 ? "none" : string.Join(", ", promotable.Select(k => $"`{k}`")))}");
Console.WriteLine($"- In neither list: {(unlisted.Count == 0 ? "none" : $"{unlisted.Count}, for example `{unlisted[0]}` (file them with --update-goal-lists)")}");

if (listsFolder is not null)
{
    var registered = Goals.Registered.Concat(promotable).Concat(unlisted.Where(Holds)).ToHashSet();
    var expected = Goals.ExpectedToHoldAfterFixes.Except(promotable).Concat(unlisted.Where(key => !Holds(key))).ToHashSet();
    File.WriteAllLines(Path.Combine(listsFolder, "RegisteredGoals.txt"), Goals.All.Where(registered.Contains));
    File.WriteAllLines(Path.Combine(listsFolder, "ExpectedToHoldAfterFixes.txt"), Goals.All.Where(expected.Contains));
    Console.WriteLine();
    Console.WriteLine($"Wrote {registered.Count} registered and {expected.Count} expected goals to {listsFolder}.");
}
return 0;

static string Format(double error, ScalarType dtype) => dtype == ScalarType.Float32 ? $"{error:G3} ulp" : $"{error:G2}";

static string Short(Violation v) => $"{v.Result.Case.Family} #{v.Result.Case.Index} [{v.Element}]: got {v.Actual:G6}, exact {v.Exact.ToString(6)}";
