using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward ignores grad_output (as if it were all ones): it returns ∂(Σ_i y_i)/∂x and
/// ∂(Σ_i y_i)/∂β whatever is asked. Each row of ∂y/∂x becomes the whole diagonal −β y, so the off-diagonal elements
/// are wrong, most in the column j where |β y_j| is largest; a zero grad_output gives non-zero gradients.
/// </summary>
internal sealed class IgnoresGradOutputExponentialFunction : autograd.SingleTensorFunction<IgnoresGradOutputExponentialFunction>
{
    public override string Name => nameof(IgnoresGradOutputExponentialFunction);

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
        return [y * -beta, (x * y).sum().neg()];
    }
}
