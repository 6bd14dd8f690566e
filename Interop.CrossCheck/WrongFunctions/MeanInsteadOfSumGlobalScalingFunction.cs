using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y_i = k x_i whose backward averages k's gradient over the elements instead of summing it: ∂E/∂k = mean_i g_i x_i,
/// too small by the number of elements. x's gradient is right.
/// </summary>
internal sealed class MeanInsteadOfSumGlobalScalingFunction : BinaryFunction<MeanInsteadOfSumGlobalScalingFunction>
{
    private MeanInsteadOfSumGlobalScalingFunction() : base("x", "k")
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
        return (grad_output * k, (grad_output * x).mean());
    }
}
