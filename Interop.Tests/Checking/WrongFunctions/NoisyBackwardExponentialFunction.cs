using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward is right up to a random relative perturbation of about 1e-9, different on every
/// run, like a backward with non-deterministic reductions: reentrancy holds only within a tolerance. The noise
/// scales with grad_output, so a zero grad_output still gives exactly zero gradients.
/// </summary>
internal sealed class NoisyBackwardExponentialFunction : autograd.SingleTensorFunction<NoisyBackwardExponentialFunction>
{
    public override string Name => nameof(NoisyBackwardExponentialFunction);

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
        var gy = grad_output * y * (1 + 1e-9 * rand_like(y));
        return [gy * -beta, (gy * x).sum().neg()];
    }
}
