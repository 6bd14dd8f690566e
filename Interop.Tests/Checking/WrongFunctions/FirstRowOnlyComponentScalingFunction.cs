using static TorchSharp.torch;

namespace Interop.Tests.Checking.WrongFunctions;

/// <summary>
/// y_i = k_i x_i with K's gradient not summed over the batch: backward keeps only the first row's contribution
/// g_j x_j. It has K's shape [N] (a gradient of the wrong shape would end the process, not fail a check), so only
/// the values are wrong: ∂y[b, j]/∂k_j comes out 0 instead of x[b, j] for every row b after the first.
/// </summary>
internal sealed class FirstRowOnlyComponentScalingFunction : autograd.SingleTensorFunction<FirstRowOnlyComponentScalingFunction>
{
    public override string Name => nameof(FirstRowOnlyComponentScalingFunction);

    public static Tensor apply(Tensor x, Tensor k) => apply_internal(x, k)[0];

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor x = (Tensor)vars[0], k = (Tensor)vars[1];
        ctx.save_for_backward([x, k]);
        return x.mul(k);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        Tensor x = saved[0], k = saved[1];
        return [grad_output * k, (grad_output * x).reshape(-1, k.shape[0])[0]];
    }
}
