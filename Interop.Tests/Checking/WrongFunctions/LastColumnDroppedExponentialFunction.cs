using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward returns ∂E/∂x without its last column, a shape that does not broadcast to x's. The
/// autograd engine refuses it; through TorchSharp's torch.autograd.grad that refusal would end the process, so the
/// checks must go through SafeAutograd and report it. (A shape that does broadcast, such as [B, N] for K of shape
/// [N], the engine silently sums: that is not a bug the checks could or should see.)
/// </summary>
internal sealed class LastColumnDroppedExponentialFunction : autograd.SingleTensorFunction<LastColumnDroppedExponentialFunction>
{
    public override string Name => nameof(LastColumnDroppedExponentialFunction);

    public static Tensor apply(Tensor x, Tensor beta) => apply_internal(x, beta)[0];

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor x = (Tensor)vars[0], beta = (Tensor)vars[1];
        var y = x.mul(beta).neg_().exp_();
        ctx.save_for_backward([x, beta, y]);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        Tensor x = saved[0], beta = saved[1], y = saved[2];
        var gy = grad_output * y;
        return [(gy * -beta)[.., ..^1], (gy * x).sum().neg()];
    }
}
