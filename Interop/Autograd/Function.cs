using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>
/// A differentiable operation whose backward is written by hand: the way to write a custom TorchSharp Function that
/// cannot take the process down. A Function states its forward (saving what backward needs) and its backward; the
/// runtime owns the rest: the native graph node, the saved tensors and their in-place checks, a missing output
/// gradient, dispose scopes, and turning every error in backward into an exception the caller can catch.
/// </summary>
/// <remarks>
/// <para>
/// Derive from <see cref="Function{TSelf}"/> (any number of tensor inputs, one output) or from
/// <see cref="BinaryFunction{TSelf}"/> (an input and one parameter) and call the static <c>apply</c>. A Function is
/// stateless: one instance serves every call on every thread, and what a call needs in backward goes through its
/// <see cref="FunctionContext"/>.
/// </para>
/// <para>
/// What PyTorch's <c>torch.autograd.Function</c> does, this does too: forward runs with grad mode off; no graph node
/// is made when no input requires grad (or grad mode is off); saved tensors are freed after a backward without
/// <c>retain_graph</c>, and a second backward that needs them raises; a saved tensor modified in place since forward
/// raises; backward may be recorded (<c>create_graph</c>) and differentiated again.
/// </para>
/// <para>
/// When backward fails, by its own exception or the runtime's (a modified saved tensor, a freed graph, a disposed
/// gradient), the engine stops and <c>Tensor.backward()</c> throws TorchSharp's <c>ExternalException</c>, whose
/// message the runtime sets to say which Function failed and why; its <see cref="Exception.InnerException"/> is a
/// <see cref="FunctionBackwardException"/> that carries the original exception. <c>Interop.Checking.SafeAutograd.grad</c>
/// throws that <see cref="FunctionBackwardException"/> itself. (TorchSharp 0.107's own <c>torch.autograd.grad</c> ends
/// the process on any engine error; use <c>SafeAutograd.grad</c>.)
/// </para>
/// <para>
/// The runtime calls undocumented LibTorchSharp entry points and is tied to TorchSharp 0.107.0 exactly; on any other
/// version <c>apply</c> throws <see cref="InvalidOperationException"/> saying so.
/// </para>
/// </remarks>
public abstract class Function
{
    private readonly string[] _inputNames;

    /// <summary>Declares the Function's inputs by name, in <c>apply</c>'s order; messages use the names.</summary>
    /// <param name="inputNames">One name per input, for example <c>"x", "beta"</c>.</param>
    private protected Function(string[] inputNames)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        if (inputNames.Length == 0)
            throw new ArgumentException("A Function has at least one input; got no input names.", nameof(inputNames));
        _inputNames = inputNames;
    }

    /// <summary>The Function's name in messages: its type's name.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The inputs' names, in <c>apply</c>'s order.</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>
    /// Checks the inputs before anything reaches autograd, once per call; throw <see cref="ArgumentException"/>
    /// naming the input, what was expected and what came. The default accepts anything.
    /// </summary>
    protected virtual void validate(ReadOnlySpan<Tensor> inputs)
    {
    }

    /// <summary>
    /// The map itself, with grad mode off. Save what backward needs with <see cref="FunctionContext.save_for_backward"/>.
    /// The result must be a new tensor (or an input, which autograd then aliases); the inputs must not be modified.
    /// </summary>
    protected abstract Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs);

    /// <summary>
    /// The chain rule: from <paramref name="grad_output"/> = ∂E/∂y, writes ∂E/∂input_i into <paramref name="grad_inputs"/>[i]
    /// for each input that <see cref="FunctionContext.needs_input_grad"/>, each of its input's shape (null means zero).
    /// Tensors made here are disposed after backward, except the gradients written out. Exceptions are caught and
    /// surface from the caller's <c>backward()</c>.
    /// </summary>
    protected abstract void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs);

    internal Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => forward(ctx, inputs);

    internal void Backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) => backward(ctx, grad_output, grad_inputs);

    /// <summary>Checks the inputs (count, liveness, then <see cref="validate"/>) and runs the call.</summary>
    private protected Tensor Invoke(ReadOnlySpan<Tensor> inputs)
    {
        if (inputs.Length != _inputNames.Length)
            throw new ArgumentException($"{Name}: expected {_inputNames.Length} inputs ({string.Join(", ", _inputNames)}); got {inputs.Length}.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null)
                throw new ArgumentNullException(_inputNames[i], $"{Name}: '{_inputNames[i]}' must be a tensor; got null.");
            if (inputs[i].IsInvalid)
                throw new ArgumentException($"{Name}: '{_inputNames[i]}' must be a live tensor; got a disposed one.", _inputNames[i]);
        }
        validate(inputs);
        return GraphNode.Apply(this, inputs);
    }
}

/// <summary>
/// A <see cref="Function"/> of any number of tensor inputs and one output, called through the static
/// <see cref="apply"/>. <typeparamref name="TSelf"/> is the deriving type, whose constructor (it may be private)
/// passes the input names.
/// </summary>
/// <example>
/// <code>
/// public sealed class ScaledTanhFunction : Function&lt;ScaledTanhFunction&gt;   // y = a · tanh(x)
/// {
///     private ScaledTanhFunction() : base("x", "a") { }
///
///     protected override Tensor forward(FunctionContext ctx, ReadOnlySpan&lt;Tensor&gt; inputs)
///     {
///         var t = inputs[0].tanh();
///         ctx.save_for_backward(t, inputs[1]);
///         return t * inputs[1];
///     }
///
///     protected override void backward(FunctionContext ctx, Tensor grad_output, Span&lt;Tensor?&gt; grad_inputs)
///     {
///         var (t, a) = ctx.saved_tensors;
///         grad_inputs[0] = grad_output * a * (1 - t * t);   // ∂E/∂x_i = g_i · a · (1 − tanh² x_i)
///         grad_inputs[1] = (grad_output * t).sum();         // ∂E/∂a = Σ_i g_i tanh x_i
///     }
/// }
/// </code>
/// </example>
public abstract class Function<TSelf> : Function where TSelf : Function<TSelf>
{
    private static readonly TSelf Instance = (TSelf)Activator.CreateInstance(typeof(TSelf), nonPublic: true)!;

    /// <summary>Declares the Function's inputs by name, in <see cref="apply"/>'s order; messages use the names.</summary>
    protected Function(params string[] inputNames) : base(inputNames)
    {
    }

    /// <summary>
    /// Computes the output and, when an input requires grad and grad mode is on, records this Function's backward in
    /// the autograd graph.
    /// </summary>
    /// <param name="inputs">One live tensor per name in <see cref="Function.InputNames"/>.</param>
    /// <exception cref="ArgumentException">The wrong number of inputs, a null or disposed one, or one that <c>validate</c> refuses.</exception>
    public static Tensor apply(params ReadOnlySpan<Tensor> inputs) => Instance.Invoke(inputs);
}
