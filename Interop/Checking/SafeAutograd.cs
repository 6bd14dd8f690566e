using Interop.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// <c>torch.autograd.grad</c> with PyTorch's defaults and errors that can be caught.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>torch.autograd.grad</c> does not catch errors raised inside the autograd engine: a freed graph,
/// an input that was not used, or an output that does not require grad ends the process. Its <c>backward</c> does
/// catch them. This computes the same gradients through <c>torch.autograd.backward(…, inputs)</c>, which accumulates
/// into <c>.grad</c>, and restores every input's previous <c>.grad</c> afterwards, so the caller sees no side effect.
/// It also follows PyTorch in retaining the graph whenever <c>create_graph</c> is set, which TorchSharp does not.
/// <para>
/// A non-leaf input is marked with <c>retain_grad()</c>, as <c>backward</c> needs to fill its <c>.grad</c>. With
/// <c>create_graph</c>, libtorch warns on stderr that <c>backward(create_graph=True)</c> creates a reference cycle
/// through <c>.grad</c>; that cycle is broken here when the inputs' previous <c>.grad</c> is restored, so the
/// warning is silenced for that call.
/// </para>
/// </remarks>
public static class SafeAutograd
{
    /// <summary>Returns ∂(Σ_i ⟨grad_outputs_i, outputs_i⟩)/∂inputs_j for each input, like PyTorch's <c>torch.autograd.grad</c>.</summary>
    /// <param name="outputs">Tensors to differentiate; each must require grad.</param>
    /// <param name="inputs">Tensors to differentiate with respect to; each must require grad.</param>
    /// <param name="grad_outputs">One per output, of its shape; null means ones (allowed only for one-element outputs).</param>
    /// <param name="retain_graph">Keep the graph for another backward; defaults to <paramref name="create_graph"/>, as in PyTorch.</param>
    /// <param name="create_graph">Record the gradient computation so that it can be differentiated again.</param>
    /// <param name="allow_unused">Return null for inputs the outputs do not depend on, instead of throwing.</param>
    /// <exception cref="ArgumentException">An argument does not fit; the message names it.</exception>
    /// <exception cref="FunctionBackwardException">An Interop <see cref="Function"/>'s backward failed; the message names it and says why, and a exception that backward threw is the inner exception.</exception>
    /// <exception cref="InvalidOperationException">The autograd engine refused (for example, the graph was already freed); the message is the engine's.</exception>
    public static IList<Tensor?> grad(
        IList<Tensor> outputs,
        IList<Tensor> inputs,
        IList<Tensor>? grad_outputs = null,
        bool? retain_graph = null,
        bool create_graph = false,
        bool allow_unused = false)
    {
        Validate(outputs, inputs, grad_outputs);
        foreach (var input in inputs)
            if (!input.is_leaf)
                input.retain_grad();
        var previous = inputs.Select(input => input.grad).ToArray();
        try
        {
            foreach (var input in inputs)
                input.grad = null;
            try
            {
                using var silenced = create_graph ? Native.LibTorchWarnings.Silenced() : null;
                autograd.backward(outputs, grad_outputs ?? outputs.Select(output => ones_like(output)).ToList(), retain_graph ?? create_graph, create_graph, inputs);
            }
            catch (System.Runtime.InteropServices.ExternalException e)
            {
                throw (Exception?)BackwardFailures.CarriedBy(e) ?? new InvalidOperationException($"autograd: {e.Message.Split('\n')[0]}", e);
            }
            var result = inputs.Select(input => input.grad).ToArray();
            for (int i = 0; i < result.Length; i++)
                if (result[i] is null && !allow_unused)
                    throw new ArgumentException($"SafeAutograd.grad: inputs[{i}] was not used to compute the outputs; pass allow_unused: true to get null for it.", nameof(inputs));
            return result;
        }
        finally
        {
            for (int i = 0; i < inputs.Count; i++)
                inputs[i].grad = previous[i];
        }
    }

    private static void Validate(IList<Tensor> outputs, IList<Tensor> inputs, IList<Tensor>? gradOutputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputs.Count == 0)
            throw new ArgumentException("SafeAutograd.grad: 'outputs' must hold at least one tensor; got none.", nameof(outputs));
        if (inputs.Count == 0)
            throw new ArgumentException("SafeAutograd.grad: 'inputs' must hold at least one tensor; got none.", nameof(inputs));
        for (int i = 0; i < outputs.Count; i++)
            if (!outputs[i].requires_grad)
                throw new ArgumentException($"SafeAutograd.grad: outputs[{i}] must require grad (was it computed under no_grad, or from inputs that do not require grad?); it does not.", nameof(outputs));
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].requires_grad)
                throw new ArgumentException($"SafeAutograd.grad: inputs[{i}] must require grad; it does not.", nameof(inputs));
        if (gradOutputs is null)
        {
            for (int i = 0; i < outputs.Count; i++)
                if (outputs[i].numel() != 1)
                    throw new ArgumentException($"SafeAutograd.grad: 'grad_outputs' is needed for outputs[{i}] of shape [{string.Join(", ", outputs[i].shape)}]; only one-element outputs default to 1.", "grad_outputs");
            return;
        }
        if (gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"SafeAutograd.grad: 'grad_outputs' must hold one tensor per output ({outputs.Count}); got {gradOutputs.Count}.", "grad_outputs");
        for (int i = 0; i < outputs.Count; i++)
            if (!gradOutputs[i].shape.SequenceEqual(outputs[i].shape))
                throw new ArgumentException($"SafeAutograd.grad: grad_outputs[{i}] must have shape [{string.Join(", ", outputs[i].shape)}] like outputs[{i}]; got [{string.Join(", ", gradOutputs[i].shape)}].", "grad_outputs");
    }
}
