// Component scaling module: y_i = k_i x_i along the last dimension; K = [k_1 … k_N] is a vector parameter.
//
// Component i of the output sees only component i of the input and of K, so both Jacobians are diagonal:
//     ∂y_i/∂x_j = k_i  when i = j, and 0 otherwise
//     ∂y_i/∂k_j = x_i  when i = j, and 0 otherwise
//
// With g_i = ∂E/∂y_i, the sums of the chain rule keep a single term each:
//     ∂E/∂x_j = Σ_i g_i ∂y_i/∂x_j = g_j k_j
//     ∂E/∂k_j = Σ_i g_i ∂y_i/∂k_j = g_j x_j
// For a batch x of shape [..., N] the same K scales every row, so ∂E/∂k_j also sums g_j x_j over the rows.

using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// y_i = k_i x_i along the last dimension, as an autograd Function whose backward is written by hand.
/// x has shape [..., N]; K has shape [N], x's dtype and x's device.
/// </summary>
public sealed class ComponentScalingFunction : autograd.SingleTensorFunction<ComponentScalingFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(ComponentScalingFunction);

    /// <summary>Computes K ⊙ x along the last dimension and records the hand-written backward in the autograd graph.</summary>
    /// <param name="x">Input of shape [..., N], float32 or float64.</param>
    /// <param name="k">K, of shape [N], x's dtype and device.</param>
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
        var gradK = !k.requires_grad ? null
            : x.dim() == 1 ? (grad_output * x).MoveToOuterDisposeScope()
            : (grad_output * x).reshape(-1, k.size(0)).sum(dim: 0).MoveToOuterDisposeScope();
        return [gradX!, gradK!];
    }

    private static void Validate(Tensor x, Tensor k)
    {
        const string function = nameof(ComponentScalingFunction);
        FunctionArguments.RequireFloatingPair(function, x, k, "k");
        if (k.dim() != 1)
            throw new ArgumentException($"{function}: 'k' must be a vector of shape [N]; got shape {FunctionArguments.Shape(k)}.", "k");
        if (x.dim() == 0 || x.size(-1) != k.size(0))
            throw new ArgumentException(
                $"{function}: 'x' must have shape [..., {k.shape[0]}] to match K of length {k.shape[0]}; got shape {FunctionArguments.Shape(x)}.", "x");
    }
}
