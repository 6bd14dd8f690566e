using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Interop.Tests.Support;

namespace Interop.Tests.Readme;

/// <summary>
/// Every C# block of README.md compiles as it stands, as the Program.cs of a new console app (<c>dotnet new console</c>:
/// top-level statements, implicit usings, nullable enabled) that references the Interop and Interop.ML packages. A
/// <c>text</c> block right after a C# block is what that block prints, and running the block must print exactly that.
/// </summary>
[Collection(nameof(ConsoleOutput))]
public partial class ReadmeCodeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "README.md"));

    /// <summary>
    /// What the .NET SDK silences in every project (NoWarn 1701;1702): a package built against an older framework
    /// referring to an assembly version that the current one unifies.
    /// </summary>
    private static readonly Dictionary<string, ReportDiagnostic> SdkNoWarn = new() { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress };

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(PackageConsumerReferences);

    public static TheoryData<int> Blocks => [.. Enumerable.Range(0, CodeBlocks().Count)];

    [Fact]
    public void The_readme_has_csharp_blocks_to_check() => Assert.True(CodeBlocks().Count >= 4, $"{CodeBlocks().Count} C# blocks found in README.md");

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles(int index)
    {
        var block = CodeBlocks()[index];
        Assert.True(Compile(block.Code, out _) is var problems && problems.Count == 0,
            $"README.md's C# block at line {block.Line} does not compile:\n{string.Join("\n", problems)}");
    }

    /// <summary>The check itself: the block README.md had before, with an undefined Function and no torch import, fails it.</summary>
    [Fact]
    public void A_block_that_does_not_compile_fails_the_check()
    {
        const string before = """
            using Interop.Checking;
            using Interop.Reference;
            using static Interop.Checking.GradientCheck;

            var x = randn(4, 8, dtype: ScalarType.Float64).requires_grad_();
            var beta = tensor(1.3).requires_grad_();
            gradcheck(xs => [MyFunction.apply(xs[0], xs[1])], [x, w], new GradientCheckOptions(fast_mode: true));
            """;
        var problems = Compile(before, out _);
        Assert.Contains(problems, problem => problem.Contains("CS0103") && problem.Contains("'randn'"));
        Assert.Contains(problems, problem => problem.Contains("CS0103") && problem.Contains("'MyFunction'"));
        Assert.Contains(problems, problem => problem.Contains("CS0103") && problem.Contains("'w'"));
    }

    [Fact]
    public void Every_sample_output_is_what_its_block_prints()
    {
        var withOutput = CodeBlocks().Where(block => block.Output is not null).ToList();
        Assert.NotEmpty(withOutput);
        foreach (var block in withOutput)
        {
            Assert.Empty(Compile(block.Code, out var assembly));
            string printed = Run(assembly!).TrimEnd();
            foreach (Match row in PassingJacobianRow().Matches(printed))
                Assert.True(double.Parse(row.Groups["abs"].Value, CultureInfo.InvariantCulture) < RoundingNoise,
                    $"README.md's block at line {block.Line}: a passing row's error is more than rounding noise: {row.Value}");
            Assert.Equal(WithoutRoundingNoise(block.Output!), WithoutRoundingNoise(printed));
        }
    }

    /// <summary>The comparison itself: noise in a passing row is ignored, a changed verdict or a failing row's value is not.</summary>
    [Fact]
    public void The_sample_comparison_ignores_rounding_noise_only()
    {
        const string sample = """
            1      ∂y/∂x                 5.51e-11     6.84e-09  ∂y[1, 7]/∂x[1, 2]                0.01883879508    0.01883879511   2.88e-05  ok
            1      ∂y/∂β                 5.14e-01     2.00e+00  ∂y[3, 2]/∂β                       0.2568458033    -0.2568458033   2.67e-04  FAILED
            """;
        const string otherCpu = """
            1      ∂y/∂x                 8.18e-11     6.84e-09  ∂y[1, 5]/∂x[1, 0]                0.01105871952    0.01105871955   2.11e-05  ok
            1      ∂y/∂β                 5.14e-01     2.00e+00  ∂y[3, 2]/∂β                       0.2568458032    -0.2568458033   2.67e-04  FAILED
            """;
        Assert.Equal(WithoutRoundingNoise(sample), WithoutRoundingNoise(otherCpu));
        Assert.NotEqual(WithoutRoundingNoise(sample), WithoutRoundingNoise(otherCpu.Replace("2.11e-05  ok", "2.11e-05  FAILED")));
        Assert.NotEqual(WithoutRoundingNoise(sample), WithoutRoundingNoise(otherCpu.Replace("0.2568458032 ", "0.2568418032 ")));
        Assert.NotEqual(WithoutRoundingNoise(sample), WithoutRoundingNoise(otherCpu.Replace("∂y[3, 2]/∂β ", "∂y[3, 1]/∂β ")));
    }

    /// <summary>
    /// Far below gradcheck's atol of 1e-5: the error that float64 finite differences with eps 1e-6 leave in a right
    /// backward (about 1e-10 here).
    /// </summary>
    private const double RoundingNoise = 1e-8;

    /// <summary>
    /// A sample output with what depends on the CPU taken out. libtorch's vector kernels (AVX2 or AVX-512, chosen at
    /// run time) round differently, so in a row that passes gradcheck the finite differences' rounding noise, and with
    /// it the worst element and its values, differ from one CPU to the next: such a row keeps its order, derivative and
    /// verdict. Elsewhere numbers are kept to 8 significant digits (a failing row's values move in the 10th).
    /// </summary>
    private static string WithoutRoundingNoise(string output) =>
        Number().Replace(
            PassingJacobianRow().Replace(output.ReplaceLineEndings("\n"), row => $"{row.Groups["order"].Value} {row.Groups["derivative"].Value} … ok"),
            number => double.Parse(number.Value, CultureInfo.InvariantCulture).ToString("G8", CultureInfo.InvariantCulture));

    /// <summary>A row of gradcheck's Jacobian table whose result is ok.</summary>
    [GeneratedRegex(@"^(?<order>[12]) +(?<derivative>\S+) +(?<abs>\S+) +\S+ +.*  ok$", RegexOptions.Multiline)]
    private static partial Regex PassingJacobianRow();

    /// <summary>A decimal number with a fraction or an exponent, standing on its own.</summary>
    [GeneratedRegex(@"(?<![\w.])-?\d+\.\d+(?:e[-+]\d+)?(?![\w.])")]
    private static partial Regex Number();

    private sealed record CodeBlock(int Line, string Code, string? Output);

    private static List<CodeBlock> CodeBlocks() =>
        [.. FencedBlock().Matches(Readme).Select(match => new CodeBlock(
            Readme[..match.Index].Count(c => c == '\n') + 1,
            match.Groups["code"].Value,
            match.Groups["output"].Success ? match.Groups["output"].Value.TrimEnd() : null))];

    /// <summary>A C# block and, if one follows it with at most a paragraph in between, its <c>text</c> block.</summary>
    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```\n(?:\n(?:[^`\n][^\n]*\n)*\n?```text\n(?<output>.*?)^```\n)?", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    /// <summary>Compiles <paramref name="code"/> as a console app's Program.cs; returns its errors and warnings, and the assembly if it built.</summary>
    private static List<string> Compile(string code, out byte[]? assembly)
    {
        var compilation = CSharpCompilation.Create(
            "ReadmeBlock",
            [SdkImplicitUsings.Tree(), CSharpSyntaxTree.ParseText(code, path: "Program.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable,
                specificDiagnosticOptions: SdkNoWarn));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        assembly = result.Success ? image.ToArray() : null;
        return [.. result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString())];
    }

    /// <summary>
    /// What a project that references the Interop.ML package compiles against: the .NET runtime's assemblies, and the
    /// assemblies of Interop.ML and of every package it depends on, directly or not (Interop, TorchSharp, ML.NET, ONNX
    /// Runtime), read from this test project's dependency graph (its .deps.json), but nothing else of the test project's.
    /// </summary>
    private static IReadOnlyList<MetadataReference> PackageConsumerReferences()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var paths = Directory.EnumerateFiles(runtime, "*.dll").Where(IsManaged).ToHashSet();
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Interop.Tests.deps.json")));
        var libraries = deps.RootElement.GetProperty("targets").EnumerateObject().First().Value;
        var pending = new Queue<string>(["Interop.ML/0.1.0"]);
        var seen = new HashSet<string>();
        while (pending.TryDequeue(out var library))
        {
            if (!seen.Add(library) || !libraries.TryGetProperty(library, out var entry))
                continue;
            if (entry.TryGetProperty("runtime", out var assemblies))
                foreach (var assembly in assemblies.EnumerateObject())
                    if (Path.Combine(AppContext.BaseDirectory, Path.GetFileName(assembly.Name)) is var path && File.Exists(path) && IsManaged(path))
                        paths.Add(path);
            if (entry.TryGetProperty("dependencies", out var dependencies))
                foreach (var dependency in dependencies.EnumerateObject())
                    pending.Enqueue($"{dependency.Name}/{dependency.Value.GetString()}");
        }
        return [.. paths.Select(path => MetadataReference.CreateFromFile(path))];
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>Runs a compiled block in this process, where Interop and TorchSharp are already loaded, and returns what it printed.</summary>
    private static string Run(byte[] assembly)
    {
        var context = new AssemblyLoadContext("ReadmeBlock", isCollectible: true);
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            context.LoadFromStream(new MemoryStream(assembly)).EntryPoint!.Invoke(null, [Array.Empty<string>()]);
        }
        finally
        {
            Console.SetOut(console);
            context.Unload();
        }
        return output.ToString().ReplaceLineEndings("\n");
    }
}

/// <summary>Tests that redirect the process's console run alone.</summary>
[CollectionDefinition(nameof(ConsoleOutput), DisableParallelization = true)]
public sealed class ConsoleOutput;
