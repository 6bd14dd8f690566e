using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// y = x through a custom autograd Function that does no arithmetic: forward returns an alias of x and backward
/// returns g. Its forward+backward time is the fixed cost that TorchSharp's Function machinery (graph node, saved
/// state, managed backward callback) adds to every hand-written Function, whatever the map; at tiny inputs it is
/// the floor under any hand-written backward.
/// </summary>
public sealed class PassThroughFunction : autograd.SingleTensorFunction<PassThroughFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(PassThroughFunction);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).alias();

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output) => [grad_output];
}
