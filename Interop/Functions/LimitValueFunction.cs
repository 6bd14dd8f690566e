// A value with another tensor's derivative: forward returns `limit`, backward hands the gradient to `formula` as if
// forward had returned `formula` itself.
//
// Exponential's ∂E/∂β is a sum Σ_i x_i g_i y_i whose terms can overflow to ±∞, so that the plain sum is ∞ − ∞ = NaN,
// or ±∞ where the terms of the other sign bring it back into the range, while its value is the rescaled limit (see
// ExponentialFunction). When backward is recorded for create_graph, the derivative of that sum by x, g and β is the
// derivative of its terms, one element at a time:
//     ∂/∂x_i Σ_j x_j g_j y_j = g_i y_i + x_i g_i ∂y_i/∂x_i
// which is finite wherever the terms are, whatever the total. Recording the rescaled limit instead would differentiate
// its max and its e^m factor, which meet ∞ · 0 and ∞ − ∞ and make NaN of second-order results that are finite.

using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>Returns <c>limit</c>, differentiated as <c>formula</c> (both of the same shape).</summary>
internal sealed class LimitValueFunction : Function<LimitValueFunction>
{
    private LimitValueFunction() : base("formula", "limit")
    {
    }

    /// <inheritdoc />
    protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[1].clone();

    /// <inheritdoc />
    protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
        grad_inputs[0] = grad_output;
}
