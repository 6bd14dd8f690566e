using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>One mini-batch read from an IDataView: features [B, D] (or [B] for a scalar column) and, if asked for, labels [B].</summary>
public sealed class TensorBatch : IDisposable
{
    internal TensorBatch(Tensor features, Tensor? labels)
    {
        Features = features;
        Labels = labels;
    }

    /// <summary>The feature rows of the batch.</summary>
    public Tensor Features { get; }

    /// <summary>The labels of the batch (int64 class indices for a key column), or null when no label column was named.</summary>
    public Tensor? Labels { get; }

    /// <summary>Rows in the batch; the last batch of an epoch may be smaller than the batch size.</summary>
    public long Count => Features.shape[0];

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Features.Dispose();
        Labels?.Dispose();
    }
}
