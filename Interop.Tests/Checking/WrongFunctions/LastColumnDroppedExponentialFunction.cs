using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward returns ∂E/∂x without its last column, a shape that does not broadcast to x's. The
/// autograd engine refuses it; through TorchSharp's torch.autograd.grad that refusal would end the process, so the
/// checks must go through SafeAutograd and report it. (A shape that does broadcast, such as [B, N] for K of shape
/// [N], the engine silently sums: that is not a bug the checks could or should see.)
/// </summary>
internal sealed class LastColumnDroppedExponentialFunction : BinaryFunction<LastColumnDroppedExponentialFunction>
{
    private LastColumnDroppedExponentialFunction() : base("x", "beta")
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
        var gy = grad_output * y;
        return ((gy * -beta)[.., ..^1], (gy * x).sum().neg());
    }
}
