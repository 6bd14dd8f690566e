using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward detaches grad_output: every value is right, but with create_graph autograd cannot see
/// that the gradients depend on g, so ∂(∂E/∂x)/∂g, which should be diag(−β y), comes out 0.
/// </summary>
internal sealed class DetachedGradOutputExponentialFunction : BinaryFunction<DetachedGradOutputExponentialFunction>
{
    private DetachedGradOutputExponentialFunction() : base("x", "beta")
    {
    }

    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var y = x.mul(beta).neg_().exp_();
        ctx.save_for_backward(x, beta, y);
        return y;
    }

    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta, y) = ctx.saved_tensors;
        var gy = grad_output.detach() * y;
        return (gy * -beta, (gy * x).sum().neg());
    }
}
