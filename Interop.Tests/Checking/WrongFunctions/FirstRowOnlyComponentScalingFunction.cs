using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y_i = k_i x_i with K's gradient not summed over the batch: backward keeps only the first row's contribution
/// g_j x_j. It has K's shape [N] (a gradient of the wrong shape would end the process, not fail a check), so only
/// the values are wrong: ∂y[b, j]/∂k_j comes out 0 instead of x[b, j] for every row b after the first.
/// </summary>
internal sealed class FirstRowOnlyComponentScalingFunction : BinaryFunction<FirstRowOnlyComponentScalingFunction>
{
    private FirstRowOnlyComponentScalingFunction() : base("x", "k")
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
        return (grad_output * k, (grad_output * x).reshape(-1, k.shape[0])[0]);
    }
}
