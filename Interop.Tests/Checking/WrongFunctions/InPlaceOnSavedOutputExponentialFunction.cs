using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward multiplies the saved output by grad_output in place (y.mul_(g)) to save an allocation.
/// The first backward is right; the saved y is then g·y, so any later backward through the same graph is wrong.
/// </summary>
internal sealed class InPlaceOnSavedOutputExponentialFunction : BinaryFunction<InPlaceOnSavedOutputExponentialFunction>
{
    private InPlaceOnSavedOutputExponentialFunction() : base("x", "beta")
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
        var gy = y.mul_(grad_output);
        return (gy * -beta, (gy * x).sum().neg());
    }
}
