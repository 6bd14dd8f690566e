// Global scaling module: y_i = k x_i for every component; k is one scalar parameter.
//
//     ∂y_i/∂x_j = k  when i = j, and 0 otherwise
//     ∂y_i/∂k   = x_i
//
// With g_i = ∂E/∂y_i:
//     ∂E/∂x_j = Σ_i g_i ∂y_i/∂x_j = g_j k
//     ∂E/∂k   = Σ_i g_i ∂y_i/∂k   = Σ_i g_i x_i
// Unlike component scaling, every component shares k, so its gradient is one sum over all of them
// (and over the batch): the inner product of g and x, one dot that makes no temporary.

using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y = k x, element-wise, as an autograd Function whose backward is written by hand.
/// x may have any shape (0-d included); k is a 0-d tensor of x's dtype and device.
/// </summary>
public sealed class GlobalScalingFunction : autograd.SingleTensorFunction<GlobalScalingFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(GlobalScalingFunction);

    /// <summary>Computes k x and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of any shape, float32 or float64.</param>
    /// <param name="k">k, a 0-d tensor of x's dtype and device.</param>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device; the message says which.</exception>
    public static Tensor apply(Tensor x, Tensor k)
    {
        Validate(x, k);
        return apply_internal(x, k)[0];
    }

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, k) = FunctionArguments.Unpack(Name, vars, "k");
        Validate(x, k);
        ctx.set_materialize_grads(false); // see MissingGradient
        ctx.save_for_backward([x, k]);
        return x.mul(k);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        if (grad_output.IsInvalid)
            return MissingGradient.None;
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        Tensor x = saved[0], k = saved[1];

        var gradX = x.requires_grad ? (grad_output * k).MoveToOuterDisposeScope() : null;
        var gradK = k.requires_grad ? InnerProduct.Of(grad_output, x).MoveToOuterDisposeScope() : null;
        return [gradX!, gradK!];
    }

    private static void Validate(Tensor x, Tensor k)
    {
        FunctionArguments.RequireFloatingPair(nameof(GlobalScalingFunction), x, k, "k");
        FunctionArguments.RequireScalar(nameof(GlobalScalingFunction), k, "k");
    }
}
