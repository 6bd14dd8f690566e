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
    [InlineData("second-order-without-retain", "THREW InvalidOperationException: autograd: Trying to backward through the graph a second time")]
    [InlineData("backward-twice", "THREW ExternalException: Trying to backward through the graph a second time")]
    [InlineData("parameter-of-another-dtype", "THREW ArgumentException: ExponentialFunction: 'beta' must have x's dtype Float32; got Float64.")]
    [InlineData("module-on-another-dtype", "THREW ArgumentException: SoftmaxFunction: 'beta' must have x's dtype Float32; got Float64.")]
    [InlineData("no-grad-then-backward", "THREW ExternalException: element 0 of tensors does not require grad and does not have a grad_fn")]
    [InlineData("no-grad-then-grad", "THREW ArgumentException: SafeAutograd.grad: outputs[0] must require grad")]
    [InlineData("grad-of-unused-input", "THREW ArgumentException: SafeAutograd.grad: inputs[1] was not used to compute the outputs")]
    [InlineData("grad-output-of-wrong-shape", "THREW ExternalException: invalid gradient at index 0 - got [3] but expected shape compatible with [4]")]
    [InlineData("disposed-input", "THREW InvalidOperationException: Tensor invalid -- empty handle.")]
    [InlineData("log-sum-beta-driven-to-zero", "THREW ArgumentException: LogSumFunction: 'beta' must be nonzero")]
    public void Misuse_ends_in_a_managed_exception_and_the_process_survives(string misuse, string expected) =>
        Assert.StartsWith(expected, RunHost(misuse));

    /// <summary>
    /// The Functions keep their saved tensors until their output is released, so a graph made only of Interop Functions
    /// can be backpropagated twice, accumulating twice, as with retain_graph (see docs/numerics.md). Pinned here so that a
    /// change to that behaviour is noticed.
    /// </summary>
    [Fact]
    public void Backward_twice_through_Functions_alone_accumulates_twice() =>
        Assert.Equal("RETURNED accumulated 2.0x", RunHost("backward-twice-through-functions-only"));

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
