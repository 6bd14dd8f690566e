using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward uses the saved output detached: its values are right, so every first-order check
/// passes, but autograd cannot see that y depends on x and β, so the double backward misses those terms.
/// ∂(∂E/∂x_i)/∂x_i should be g_i β² y_i and comes out 0, worst where |g_i y_i| is largest.
/// </summary>
internal sealed class DetachedOutputExponentialFunction : BinaryFunction<DetachedOutputExponentialFunction>
{
    private DetachedOutputExponentialFunction() : base("x", "beta")
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
        y = y.detach();
        return (grad_output * y * -beta, (grad_output * x * y).sum().neg());
    }
}
