using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>
/// A <see cref="Function"/> of an input x and one parameter, y = f(x, p), as every map of the problem set is: forward
/// and the two gradients are written with their own names, side by side, as in Torch7's <c>nn.Mul</c>.
/// </summary>
public abstract class BinaryFunction<TSelf> : Function<TSelf> where TSelf : BinaryFunction<TSelf>
{
    /// <summary>Names the two inputs, for example <c>("x", "beta")</c>.</summary>
    protected BinaryFunction(string inputName, string parameterName) : base(inputName, parameterName)
    {
    }

    /// <summary>y = f(x, p), recording backward when x or p requires grad (see <see cref="Function{TSelf}.apply"/>).</summary>
    /// <exception cref="ArgumentException">An input is null, disposed, or refused by <c>validate</c>.</exception>
    public static Tensor apply(Tensor x, Tensor parameter) => Function<TSelf>.apply(x, parameter);

    /// <summary>Checks x and p once per call; throw <see cref="ArgumentException"/> naming the input. The default accepts anything.</summary>
    protected virtual void validate(Tensor x, Tensor parameter)
    {
    }

    /// <summary>y = f(x, p), with grad mode off; save what backward needs with <see cref="FunctionContext.save_for_backward"/>.</summary>
    protected abstract Tensor forward(FunctionContext ctx, Tensor x, Tensor parameter);

    /// <summary>
    /// From <paramref name="grad_output"/> = ∂E/∂y, returns (∂E/∂x, ∂E/∂p), each of its input's shape; null for an input
    /// that does not <see cref="FunctionContext.needs_input_grad"/> (or whose gradient is zero).
    /// </summary>
    protected abstract (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output);

    /// <inheritdoc />
    protected sealed override void validate(ReadOnlySpan<Tensor> inputs) => validate(inputs[0], inputs[1]);

    /// <inheritdoc />
    protected sealed override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => forward(ctx, inputs[0], inputs[1]);

    /// <inheritdoc />
    protected sealed override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
        (grad_inputs[0], grad_inputs[1]) = backward(ctx, grad_output);
}
