using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Interop.Checking;
using Interop.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Cli.Commands;

/// <summary>
/// The main job: every hand-written backward checked three ways on seeded random float64 inputs, one row per module
/// and gradient: against TorchSharp's autograd of the built-in twin (<c>compare</c>), against finite differences
/// (<c>gradcheck</c>), and at second order, its own derivatives against finite differences (<c>gradgradcheck</c>,
/// which gradcheck includes). A table by default, JSON with <c>--json</c>; exit code 1 on any failure.
/// </summary>
internal sealed class VerifyCommand : ICommand
{
    private static readonly long[] Shape = [4, 8];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public string Name => "verify";
    public string Summary => "check each hand-written backward against autograd, finite differences and at second order; exits 1 on any failure";
    public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>
    {
        ["seed="] = "random seed for the inputs and the checks (default 42)",
        ["json"] = "write the results as JSON instead of a table",
    };

    public int Run(ParsedOptions options, TextWriter output)
    {
        int seed = options.Int("seed", 42, 0, int.MaxValue);
        var settings = new Settings(
            (ulong)seed,
            GradientCheckOptions.Comparison with { seed = (ulong)seed },
            GradientCheckOptions.Default with { seed = (ulong)seed });
        var modules = ModuleMap.All.Select(map => Verify(map, settings)).ToList();
        if (options.Flag("json"))
            WriteJson(output, settings, modules);
        else
            WriteTable(output, settings, modules);
        return modules.All(module => module.Passed) ? 0 : 1;
    }

    private static ModuleVerification Verify(ModuleMap map, Settings settings)
    {
        using var scope = NewDisposeScope();
        var x = randn(Shape, ScalarType.Float64, generator: new Generator(settings.Seed)).requires_grad_();
        var parameter = map.MakeParameter(1.3, Shape[^1]).requires_grad_();
        return new ModuleVerification(
            map,
            GradientCheck.compare(map, x, parameter, settings.VsAutograd),
            GradientCheck.gradcheck(map, x, parameter, settings.VsFiniteDifferences));
    }

    private static void WriteTable(TextWriter output, Settings settings, IReadOnlyList<ModuleVerification> modules)
    {
        var (comparison, finite) = (settings.VsAutograd, settings.VsFiniteDifferences);
        output.WriteLine($"Each hand-written backward, float64, x of shape [{string.Join(", ", Shape)}], seed {settings.Seed}. A cell is the largest |error| over the Jacobian's elements:");
        output.WriteLine($"  vs autograd            its Jacobian against TorchSharp autograd of the built-in twin (atol {comparison.atol:g}, rtol {comparison.rtol:g})");
        output.WriteLine($"  vs finite differences  its Jacobian against central differences (eps {finite.eps:g}, atol {finite.atol:g}, rtol {finite.rtol:g})");
        output.WriteLine("  second order           the Jacobians of the gradient it returns, against central differences of it");
        output.WriteLine("An element passes when |error| ≤ atol + rtol·|reference|.");
        output.WriteLine();

        string[] header = ["module", "gradient", "vs autograd", "vs finite differences", "second order"];
        var rows = modules.SelectMany(module => module.Rows.Select((row, i) => new[]
        {
            i == 0 ? module.Map.Name : "",
            row.Gradient,
            Cell([row.VsAutograd]),
            Cell([row.VsFiniteDifferences]),
            Cell(row.SecondOrder),
        })).ToList();
        var widths = header.Select((title, c) => rows.Max(row => row[c].Length) is var width && width > title.Length ? width : title.Length).ToArray();
        foreach (var row in rows.Prepend(header))
            output.WriteLine(string.Join("   ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());

        output.WriteLine();
        output.WriteLine(Tally("forward values agree with the twin", modules.SelectMany(m => m.Compare.Checks).ToList(), check => check.Passed));
        output.WriteLine(Tally("second-order Jacobians agree with autograd", modules.SelectMany(m => m.Compare.Pairs.Where(p => p.Order == 2)).ToList(), pair => pair.Passed));
        output.WriteLine(Tally("backward properties hold (reentrant, zero in → zero out, shapes and dtypes; both orders)", modules.SelectMany(m => m.Gradcheck.Checks).ToList(), check => check.Passed));

        var failed = modules.SelectMany(module => new[] { module.Compare, module.Gradcheck }).Where(report => !report.Passed).ToList();
        output.WriteLine();
        output.WriteLine(failed.Count == 0
            ? $"All checks pass for the {modules.Count} modules."
            : $"{failed.Count} report(s) failed; each follows in full.");
        foreach (var report in failed)
        {
            output.WriteLine();
            output.WriteLine(report);
        }
    }

    private static void WriteJson(TextWriter output, Settings settings, IReadOnlyList<ModuleVerification> modules)
    {
        var document = new
        {
            settings.Seed,
            Shape,
            Dtype = "float64",
            Passed = modules.All(module => module.Passed),
            Options = new { settings.VsAutograd, settings.VsFiniteDifferences },
            Modules = modules.Select(module => new
            {
                Module = module.Map.Name,
                module.Map.Formula,
                module.Passed,
                Gradients = module.Rows.Select(row => new
                {
                    row.Gradient,
                    row.Passed,
                    row.VsAutograd,
                    row.VsFiniteDifferences,
                    row.SecondOrder,
                }),
                SecondOrderVsAutograd = module.Compare.Pairs.Where(pair => pair.Order == 2),
                Checks = module.Compare.Checks.Concat(module.Gradcheck.Checks),
                Warnings = module.Compare.Warnings.Concat(module.Gradcheck.Warnings),
            }),
        };
        output.WriteLine(JsonSerializer.Serialize(document, Json));
    }

    private static string Cell(IReadOnlyList<JacobianPairResult> pairs) =>
        $"{pairs.Max(pair => pair.MaxAbsError):0.0e+00}  {(pairs.All(pair => pair.Passed) ? "ok" : "FAILED")}";

    private static string Tally<T>(string what, IReadOnlyList<T> items, Func<T, bool> passed)
    {
        int failures = items.Count(item => !passed(item));
        return failures == 0 ? $"All {items.Count}: {what}." : $"{failures} of {items.Count} FAILED: {what}.";
    }

    /// <summary>The seed and the options of the two checks, shared by every module.</summary>
    private sealed record Settings(ulong Seed, GradientCheckOptions VsAutograd, GradientCheckOptions VsFiniteDifferences);

    /// <summary>The two reports of one module, regrouped by gradient (∂E/∂x, then ∂E/∂β, ∂E/∂K or ∂E/∂k) for the table.</summary>
    private sealed record ModuleVerification(ModuleMap Map, GradientCheckReport Compare, GradientCheckReport Gradcheck)
    {
        public bool Passed => Compare.Passed && Gradcheck.Passed;

        public IReadOnlyList<GradientRow> Rows { get; } = Gradcheck.Pairs
            .Where(pair => pair.Order == 1)
            .Select(pair => new GradientRow(
                $"∂E/∂{pair.Input}",
                Compare.Pairs.Single(other => other.Order == 1 && other.InputIndex == pair.InputIndex),
                pair,
                Gradcheck.Pairs.Where(other => other.Order == 2 && other.OutputIndex == pair.InputIndex).ToList()))
            .ToList();
    }

    /// <summary>One gradient's three results; for the second order, every Jacobian of that gradient.</summary>
    private sealed record GradientRow(
        string Gradient, JacobianPairResult VsAutograd, JacobianPairResult VsFiniteDifferences, IReadOnlyList<JacobianPairResult> SecondOrder)
    {
        public bool Passed => VsAutograd.Passed && VsFiniteDifferences.Passed && SecondOrder.All(pair => pair.Passed);
    }
}
