using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) with a sign error in β's gradient: backward returns +Σ g x y instead of −Σ g x y. ∂y_i/∂β comes out
/// as +x_i y_i, wrong by 2 |x_i y_i|, worst where |x_i y_i| is largest; ∂y/∂x is right.
/// </summary>
internal sealed class BetaSignErrorExponentialFunction : BinaryFunction<BetaSignErrorExponentialFunction>
{
    private BetaSignErrorExponentialFunction() : base("x", "beta")
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
        return (grad_output * y * -beta, (grad_output * x * y).sum());
    }
}
