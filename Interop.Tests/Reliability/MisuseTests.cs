namespace Interop.Tests.Reliability;

/// <summary>
/// Each misuse of the public API runs in a child process (Interop.Tests/MisuseHost) and must end in a managed exception
/// with a clear message, or complete as documented; the process must exit normally. In TorchSharp an error raised inside
/// the autograd engine can abort the whole process, which a child process shows as a non-zero exit code.
/// </summary>
public class MisuseTests
{
    private static readonly string Host = ChildProcess.BuiltDll(Path.Combine("Interop.Tests", "MisuseHost"), "MisuseHost");

    [Theory]
    [InlineData("grad-twice-without-retain", "THREW InvalidOperationException: autograd: Trying to backward through the graph a second time")]
    [InlineData("second-order-without-retain", "THREW FunctionBackwardException: LogSumFunction: backward ran through this graph a second time")]
    [InlineData("backward-twice", "THREW ExternalException: Trying to backward through the graph a second time")]
    [InlineData("parameter-of-another-dtype", "THREW ArgumentException: ExponentialFunction: 'beta' must have x's dtype Float32; got Float64.")]
    [InlineData("module-on-another-dtype", "THREW ArgumentException: SoftmaxFunction: 'beta' must have x's dtype Float32; got Float64.")]
    [InlineData("no-grad-then-backward", "THREW ExternalException: element 0 of tensors does not require grad and does not have a grad_fn")]
    [InlineData("no-grad-then-grad", "THREW ArgumentException: SafeAutograd.grad: outputs[0] must require grad")]
    [InlineData("grad-of-unused-input", "THREW ArgumentException: SafeAutograd.grad: inputs[1] was not used to compute the outputs")]
    [InlineData("grad-output-of-wrong-shape", "THREW ExternalException: invalid gradient at index 0 - got [3] but expected shape compatible with [4]")]
    [InlineData("disposed-input", "THREW ArgumentException: ExponentialFunction: 'x' must be a live tensor; got a disposed one.")]
    [InlineData("throwing-backward", "RETURNED ExternalException: ThrowingFunction.backward threw InvalidOperationException: deliberately thrown in backward ← FunctionBackwardException: ThrowingFunction.backward threw InvalidOperationException: deliberately thrown in backward ← InvalidOperationException: deliberately thrown in backward")]
    [InlineData("throwing-backward-in-a-graph", "RETURNED ExternalException: ThrowingFunction.backward threw InvalidOperationException: deliberately thrown in backward ← FunctionBackwardException: ThrowingFunction.backward threw InvalidOperationException: deliberately thrown in backward ← InvalidOperationException: deliberately thrown in backward; then a good backward gives finite True")]
    [InlineData("throwing-backward-safe-grad", "RETURNED FunctionBackwardException: ThrowingFunction.backward threw InvalidOperationException: deliberately thrown in backward ← InvalidOperationException: deliberately thrown in backward")]
    [InlineData("wrong-shape-gradient", "RETURNED ExternalException: WrongShapeFunction: backward returned a gradient for 'x' that autograd refuses: got [4] but expected shape compatible with [3].")]
    [InlineData("disposed-gradient", "RETURNED ExternalException: DisposedGradientFunction: backward returned a disposed tensor as the gradient for 'x'.")]
    [InlineData("log-sum-beta-driven-to-zero", "THREW ArgumentException: LogSumFunction: 'beta' must be nonzero")]
    public void Misuse_ends_in_a_managed_exception_and_the_process_survives(string misuse, string expected) =>
        Assert.StartsWith(expected, RunHost(misuse));

    /// <summary>
    /// The misuses of a backward that used to end the process inside Interop's Functions, on each of the five modules, through
    /// <c>backward()</c> and through <c>SafeAutograd.grad</c>: each ends in an exception that names the Function and the
    /// tensor, or completes as PyTorch would. One child process runs a family on all five modules.
    /// </summary>
    [Theory]
    [MemberData(nameof(BackwardMisuses))]
    public void Backward_misuse_on_each_module_ends_in_a_managed_exception(string family, string module, string expected) =>
        Assert.StartsWith(expected, FamilyResults.GetOrAdd(family, RunFamily)[module]);

    public static TheoryData<string, string, string> BackwardMisuses()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (module, function, parameter, savesOutput) in Modules)
        {
            string modified = "saved for backward, was modified by an in-place operation after forward (it is at version";
            data.Add("optimizer-step-between", module, $"THREW ExternalException: {function}: input '{parameter}', {modified} 1; forward saved version 0).");
            data.Add("optimizer-step-between-safe-grad", module, $"THREW FunctionBackwardException: {function}: input '{parameter}', {modified} 1; forward saved version 0).");
            data.Add("input-modified", module, $"THREW ExternalException: {function}: input 'x', {modified}");
            data.Add("output-modified", module, savesOutput ? $"THREW ExternalException: {function}: its output, {modified}" : "RETURNED backward ran");
            data.Add("backward-twice", module, $"THREW ExternalException: {function}: backward ran through this graph a second time, or after its saved tensors were freed. " +
                "The first backward frees them; pass retain_graph: true to it");
            data.Add("backward-twice-retained", module, "RETURNED accumulated 2.0x");
            data.Add("second-order-safe-grad", module, "RETURNED finite True");
        }
        return data;
    }

    private static readonly (string Module, string Function, string Parameter, bool SavesOutput)[] Modules =
    [
        ("Exponential", "ExponentialFunction", "beta", true),
        ("ComponentScaling", "ComponentScalingFunction", "k", false),
        ("GlobalScaling", "GlobalScalingFunction", "k", false),
        ("Softmax", "SoftmaxFunction", "beta", true),
        ("LogSum", "LogSumFunction", "beta", false),
    ];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, string>> FamilyResults = new();

    private static Dictionary<string, string> RunFamily(string family)
    {
        var lines = ChildProcess.Run(Host, TimeSpan.FromMinutes(2), [.. Modules.Select(m => $"{family}:{m.Module}")]).Split('\n');
        Assert.Equal(Modules.Length, lines.Length);
        return Modules.Zip(lines, (m, line) => (m.Module, Line: line.Trim())).ToDictionary(pair => pair.Module, pair => pair.Line);
    }

    /// <summary>
    /// SafeAutograd goes through backward(create_graph: true), about which libtorch warns on stderr of a reference
    /// cycle that SafeAutograd breaks; the warning is silenced for that call, so a program's stderr stays clean.
    /// </summary>
    [Fact]
    public void Second_order_through_SafeAutograd_prints_nothing()
    {
        var (output, errors) = ChildProcess.RunWithErrors(Host, TimeSpan.FromMinutes(2), "second-order-once");
        Assert.StartsWith("RETURNED", output);
        Assert.Equal("", errors);
    }

    private static string RunHost(string misuse) => ChildProcess.Run(Host, TimeSpan.FromMinutes(2), misuse);
}
