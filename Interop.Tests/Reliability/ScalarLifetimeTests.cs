using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Interop.Tests.Support;

namespace Interop.Tests.Reliability;

/// <summary>
/// No number in the libraries' sources becomes a TorchSharp <c>Scalar</c> by implicit conversion.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 makes such a Scalar a new object whose finalizer frees its native value, and nothing keeps the
/// object alive while the native call it was made for reads it: a garbage collection on another thread during that
/// call can free the value under libtorch. CI saw it once as a Fit failing inside TorchSharp's <c>Adam.step</c> with
/// "Expected false to be true" from c10's <c>Scalar::toFloat</c>. A race like that cannot be tested for by running the
/// code, so this test reads the code: Roslyn compiles the sources of Interop and Interop.ML and lists every
/// user-defined conversion to Scalar. The libraries hold their Scalars instead, in a static field for constants
/// (<c>Interop.HeldScalars</c>, <c>Interop.ML.HeldScalars</c>) or in a <c>using</c> around the calls.
/// </remarks>
public class ScalarLifetimeTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));

    [Theory]
    [InlineData("Interop")]
    [InlineData("Interop.ML")]
    public void No_number_becomes_a_Scalar_by_implicit_conversion(string project)
    {
        var found = ImplicitScalars(SourcesOf(project), project);

        Assert.True(found.Count == 0, $"{found.Count} implicit conversions to TorchSharp.Scalar in {project}; hold the Scalar instead:\n{string.Join("\n", found)}");
    }

    /// <summary>The check itself: each way of writing a number where libtorch takes a Scalar is found.</summary>
    [Fact]
    public void The_check_finds_operators_arguments_and_named_arguments()
    {
        const string code = """
            using TorchSharp;
            using static TorchSharp.torch;
            static class Sample
            {
                static readonly Scalar Two = 2.ToScalar();
                static void Run(Tensor t, Tensor u, double step)
                {
                    var a = 2 * t;
                    var b = t.clamp_min(0);
                    t.add_(u, alpha: step);
                    var c = t > 1e-12;
                    var d = t.square() + u;
                    var e = t.mul(Two) * u - u;
                    using var s = step.ToScalar();
                    t.add_(u, s);
                }
            }
            """;
        var found = ImplicitScalars([CSharpSyntaxTree.ParseText(code, path: "Sample.cs")], "Sample");

        Assert.Equal([
            "Sample.cs:8: 2 * t (TorchSharp's Tensor.op_Multiply makes a Scalar)", "Sample.cs:9: 0", "Sample.cs:10: step", "Sample.cs:11: 1e-12",
            "Sample.cs:12: t.square() + u (TorchSharp's Tensor.op_Addition makes a Scalar)", "Sample.cs:12: t.square() (TorchSharp's Tensor.square makes a Scalar)",
        ], found);
    }

    /// <summary>
    /// TorchSharp methods that make a Scalar only of an argument that is a number: a TorchScript function's
    /// <c>invoke</c> turns a double into a Scalar, and passes tensors as they are. Called with no number, they pass.
    /// </summary>
    private static readonly HashSet<string> ScalarsOnlyFromNumbers = ["CompilationUnit.invoke", "ScriptModule.invoke"];

    private static List<SyntaxTree> SourcesOf(string project)
    {
        string folder = Path.Combine(Root, project);
        return [.. Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path[folder.Length..].Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), path: Path.GetRelativePath(Root, path)))];
    }

    /// <summary>"file:line: expression" for every user-defined conversion to TorchSharp.Scalar in the trees.</summary>
    private static List<string> ImplicitScalars(List<SyntaxTree> trees, string assemblyName)
    {
        var references = References.Value.Where(r => Path.GetFileNameWithoutExtension(r.FilePath) != assemblyName);
        var compilation = CSharpCompilation.Create(assemblyName, [SdkImplicitUsings.Tree(), .. trees], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        // Code that does not bind cannot be read: the check would pass blind. Source generators do not run here, so the
        // [GeneratedRegex] methods have no bodies (CS8795); nothing else may fail.
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").Take(10).ToList();
        Assert.True(errors.Count == 0, $"the sources do not compile here:\n{string.Join("\n", errors)}");
        var found = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                string line = $"{tree.FilePath}:{node.GetLocation().GetLineSpan().StartLinePosition.Line + 1}";
                if (node is ExpressionSyntax expression && model.GetConversion(expression) is { IsUserDefined: true } conversion
                    && conversion.MethodSymbol?.ReturnType.ToDisplayString() == "TorchSharp.Scalar")
                    found.Add($"{line}: {expression}");
                if (node is InvocationExpressionSyntax or BinaryExpressionSyntax or AssignmentExpressionSyntax or PrefixUnaryExpressionSyntax or ObjectCreationExpressionSyntax
                    && model.GetSymbolInfo(node).Symbol is IMethodSymbol method && TorchSharpInternals.MakesScalar(method)
                    && !(ScalarsOnlyFromNumbers.Contains($"{method.ContainingType.Name}.{method.Name}") && node is InvocationExpressionSyntax call
                         && call.ArgumentList.Arguments.All(a => model.GetTypeInfo(a.Expression).Type?.SpecialType is not (>= SpecialType.System_SByte and <= SpecialType.System_Double))))
                    found.Add($"{line}: {node} (TorchSharp's {method.ContainingType.Name}.{method.Name} makes a Scalar)");
            }
        }
        return found;
    }

    /// <summary>The assemblies this test process runs on: the .NET runtime's and every package's.</summary>
    private static readonly Lazy<PortableExecutableReference[]> References = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal))
            .Select(path => MetadataReference.CreateFromFile(path))]);

    /// <summary>Which TorchSharp methods make a Scalar of their own that nothing disposes, read from their IL.</summary>
    private static class TorchSharpInternals
    {
        private static readonly System.Reflection.Assembly TorchSharp = typeof(TorchSharp.Scalar).Assembly;

        private static readonly Dictionary<System.Reflection.MethodBase, bool> Known = [];

        public static bool MakesScalar(IMethodSymbol method)
        {
            if (method.ContainingAssembly?.Name != "TorchSharp")
                return false;
            var type = TorchSharp.GetType(MetadataName(method.ContainingType.OriginalDefinition));
            if (type is null)
                return false;
            var parameters = method.OriginalDefinition.Parameters.Select(p => TypeName(p.Type)).ToArray();
            var matches = type.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static)
                .Where(m => m.Name == method.MetadataName && m.GetParameters().Select(p => p.ParameterType.Name.TrimEnd('&')).SequenceEqual(parameters))
                .ToList();
            return matches.Count > 0 && matches.All(m => MakesScalar(m, depth: 3));
        }

        /// <summary>A parameter type's name as reflection spells it: Int32, Tensor, Int64[], Nullable`1.</summary>
        private static string TypeName(ITypeSymbol type) => type is IArrayTypeSymbol array ? TypeName(array.ElementType) + "[]" : type.MetadataName;

        private static string MetadataName(INamedTypeSymbol type) =>
            type.ContainingType is { } outer ? $"{MetadataName(outer)}+{type.MetadataName}" : $"{type.ContainingNamespace.ToDisplayString()}.{type.MetadataName}";

        private static bool MakesScalar(System.Reflection.MethodBase method, int depth)
        {
            if (Known.TryGetValue(method, out bool known))
                return known;
            Known[method] = false;
            var callees = Callees(method);
            bool makes = callees.Any(c => c.DeclaringType == typeof(TorchSharp.Scalar) && c.Name == "op_Implicit" || c.DeclaringType?.Name == "ScalarExtensionMethods" && c.Name == "ToScalar")
                && !callees.Any(c => c.DeclaringType == typeof(TorchSharp.Scalar) && c.Name == "Dispose");
            makes |= depth > 0 && callees.Any(c => c.Module.Assembly == TorchSharp && c.DeclaringType != typeof(TorchSharp.Scalar) && MakesScalar(c, depth - 1));
            Known[method] = makes;
            return makes;
        }

        private static List<System.Reflection.MethodBase> Callees(System.Reflection.MethodBase method)
        {
            var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
            var callees = new List<System.Reflection.MethodBase>();
            // call, callvirt and newobj take a method token; other opcodes' bytes may look like them, so a token must resolve.
            for (int i = 0; i + 4 < il.Length; i++)
            {
                if (il[i] is not (0x28 or 0x6F or 0x73))
                    continue;
                try
                {
                    if (method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1), method.DeclaringType?.GetGenericArguments(), null) is { } callee)
                    {
                        callees.Add(callee);
                        i += 4;
                    }
                }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException)
                {
                }
            }
            return callees;
        }
    }
}
