using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) with a sign error in β's gradient: backward returns +Σ g x y instead of −Σ g x y. ∂y_i/∂β comes out
/// as +x_i y_i, wrong by 2 |x_i y_i|, worst where |x_i y_i| is largest; ∂y/∂x is right.
/// </summary>
internal sealed class BetaSignErrorExponentialFunction : autograd.SingleTensorFunction<BetaSignErrorExponentialFunction>
{
    public override string Name => nameof(BetaSignErrorExponentialFunction);

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
        return [grad_output * y * -beta, (grad_output * x * y).sum()];
    }
}
