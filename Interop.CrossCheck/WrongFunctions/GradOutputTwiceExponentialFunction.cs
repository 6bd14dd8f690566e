using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward multiplies by grad_output twice: ∂E/∂x = g² y (−β), not linear in g. For a grad_output
/// of zeros and ones, which is what a Jacobian built row by row feeds it, g² = g and every first-order value is
/// right; a general grad_output, and so the derivative with respect to it, shows the bug.
/// </summary>
internal sealed class GradOutputTwiceExponentialFunction : BinaryFunction<GradOutputTwiceExponentialFunction>
{
    private GradOutputTwiceExponentialFunction() : base("x", "beta")
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
        var gy = grad_output * y * grad_output;
        return (gy * -beta, (gy * x).sum().neg());
    }
}
