using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>The tensors a Function's forward saved, as its backward reads them (<see cref="FunctionContext.saved_tensors"/>).</summary>
/// <remarks>They belong to the runtime and are released after backward: do not dispose or keep them.</remarks>
public readonly ref struct SavedTensors
{
    private readonly ReadOnlySpan<Tensor> _tensors;

    internal SavedTensors(ReadOnlySpan<Tensor> tensors) => _tensors = tensors;

    /// <summary>How many tensors forward saved.</summary>
    public int Count => _tensors.Length;

    /// <summary>The saved tensor at <paramref name="index"/>, in the order forward saved them.</summary>
    public Tensor this[int index] => _tensors[index];

    /// <summary>The two saved tensors.</summary>
    public void Deconstruct(out Tensor first, out Tensor second)
    {
        RequireCount(2);
        (first, second) = (_tensors[0], _tensors[1]);
    }

    /// <summary>The three saved tensors.</summary>
    public void Deconstruct(out Tensor first, out Tensor second, out Tensor third)
    {
        RequireCount(3);
        (first, second, third) = (_tensors[0], _tensors[1], _tensors[2]);
    }

    /// <summary>The four saved tensors.</summary>
    public void Deconstruct(out Tensor first, out Tensor second, out Tensor third, out Tensor fourth)
    {
        RequireCount(4);
        (first, second, third, fourth) = (_tensors[0], _tensors[1], _tensors[2], _tensors[3]);
    }

    private void RequireCount(int count)
    {
        if (_tensors.Length != count)
            throw new InvalidOperationException($"saved_tensors: forward saved {_tensors.Length} tensors; backward reads {count}.");
    }
}
