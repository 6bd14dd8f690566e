using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>
/// What a <see cref="Function"/> call carries from its forward to its backward, PyTorch's <c>ctx</c>: forward
/// saves tensors with <see cref="save_for_backward"/>; backward reads them back with <see cref="saved_tensors"/>,
/// learns which inputs need a gradient (<see cref="needs_input_grad"/>) and whether autograd is recording it to be
/// differentiated again (<see cref="create_graph"/>).
/// </summary>
/// <remarks>
/// A context belongs to one call and lives in the runtime's pool: keep no reference to it after forward or backward
/// returns. Forward runs with grad mode off, as in PyTorch. When no input requires grad (or grad mode is off) the call
/// records nothing and <see cref="save_for_backward"/> does nothing.
/// </remarks>
public sealed class FunctionContext
{
    private readonly GraphNode? _node;

    internal FunctionContext(GraphNode? node) => _node = node;

    /// <summary>The context of a call that records no graph: saving is a no-op.</summary>
    internal static FunctionContext NotRecording { get; } = new(null);

    /// <summary>
    /// Keeps tensors for backward: inputs, the output that forward returns, or tensors forward made. Call it at most
    /// once, in forward. The runtime holds them (as libtorch's saved variables, which notice in-place changes) until
    /// backward has run without <c>retain_graph</c>, or until the graph is released.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called outside forward, or twice.</exception>
    /// <exception cref="ArgumentException">A tensor is null or disposed.</exception>
    public void save_for_backward(params ReadOnlySpan<Tensor> tensors) => _node?.SaveForBackward(tensors);

    /// <summary>
    /// The tensors that forward saved, in the order it saved them, checked against in-place modification since. In
    /// backward only. Deconstructs: <c>var (x, beta, y) = ctx.saved_tensors;</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Outside backward; or a saved tensor was modified in place after forward (the message names it); or the graph's
    /// saved tensors were already freed by an earlier backward without <c>retain_graph</c>.
    /// </exception>
    public SavedTensors saved_tensors => Node.SavedTensors();

    /// <summary>
    /// Whether input <paramref name="index"/> (in <c>apply</c>'s order) required grad when forward ran. Backward
    /// returns null for an input that does not, and may skip computing its gradient.
    /// </summary>
    public bool needs_input_grad(int index) => _node?.NeedsInputGrad(index) ?? false;

    /// <summary>
    /// True when autograd records this backward so that it can be differentiated again (<c>create_graph</c>). Its
    /// operations must then be differentiable ones on tensors it does not modify in place; when false, backward may
    /// overwrite the tensors it made itself.
    /// </summary>
    public bool create_graph => _node?.CreateGraph ?? false;

    private GraphNode Node => _node ?? throw new InvalidOperationException("saved_tensors: this call records no graph (no input requires grad, or grad mode is off), so it has no backward.");
}
