using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y_i = k_i x_i for a square x whose backward returns x's gradient transposed: ∂E/∂x[b, j] = g[j, b] k_b instead of
/// g[b, j] k_j. The shape is right, so the engine cannot tell; only the values are wrong, off the diagonal. K's
/// gradient is right.
/// </summary>
internal sealed class TransposedGradientComponentScalingFunction : BinaryFunction<TransposedGradientComponentScalingFunction>
{
    private TransposedGradientComponentScalingFunction() : base("x", "k")
    {
    }

    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor k)
    {
        ctx.save_for_backward(x, k);
        return x.mul(k);
    }

    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, k) = ctx.saved_tensors;
        return ((grad_output * k).t(), (grad_output * x).reshape(-1, k.shape[0]).sum(dim: 0));
    }
}
