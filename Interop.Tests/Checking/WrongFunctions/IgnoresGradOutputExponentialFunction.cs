using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward ignores grad_output (as if it were all ones): it returns ∂(Σ_i y_i)/∂x and
/// ∂(Σ_i y_i)/∂β whatever is asked. Each row of ∂y/∂x becomes the whole diagonal −β y, so the off-diagonal elements
/// are wrong, most in the column j where |β y_j| is largest; a zero grad_output gives non-zero gradients.
/// </summary>
internal sealed class IgnoresGradOutputExponentialFunction : BinaryFunction<IgnoresGradOutputExponentialFunction>
{
    private IgnoresGradOutputExponentialFunction() : base("x", "beta")
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
        return (y * -beta, (x * y).sum().neg());
    }
}
