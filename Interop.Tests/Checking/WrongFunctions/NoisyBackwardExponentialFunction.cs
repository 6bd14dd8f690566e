using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward is right up to a random relative perturbation of about 1e-9, different on every
/// run, like a backward with non-deterministic reductions: reentrancy holds only within a tolerance. The noise
/// scales with grad_output, so a zero grad_output still gives exactly zero gradients.
/// </summary>
internal sealed class NoisyBackwardExponentialFunction : BinaryFunction<NoisyBackwardExponentialFunction>
{
    private NoisyBackwardExponentialFunction() : base("x", "beta")
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
        var gy = grad_output * y * (1 + 1e-9 * rand_like(y));
        return (gy * -beta, (gy * x).sum().neg());
    }
}
