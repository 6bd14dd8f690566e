using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// y = x through a Function on Interop's runtime (<see cref="Function{TSelf}"/>) that does no arithmetic: forward
/// returns an alias of x and saves nothing, backward returns g. Its forward+backward is the fixed cost that the runtime
/// (graph node, callback into .NET, output wrapping) adds to every hand-written Function, whatever the map: the floor
/// under any of them at small inputs.
/// </summary>
public sealed class PassThroughFunction : Function<PassThroughFunction>
{
    private PassThroughFunction() : base("x")
    {
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0].alias();

    /// <inheritdoc />
    protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
        grad_inputs[0] = grad_output;
}
