using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward uses the saved output detached: its values are right, so every first-order check
/// passes, but autograd cannot see that y depends on x and β, so the double backward misses those terms.
/// ∂(∂E/∂x_i)/∂x_i should be g_i β² y_i and comes out 0, worst where |g_i y_i| is largest.
/// </summary>
internal sealed class DetachedOutputExponentialFunction : autograd.SingleTensorFunction<DetachedOutputExponentialFunction>
{
    public override string Name => nameof(DetachedOutputExponentialFunction);

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
        Tensor x = saved[0], beta = saved[1], y = saved[2].detach();
        return [grad_output * y * -beta, (grad_output * x * y).sum().neg()];
    }
}
