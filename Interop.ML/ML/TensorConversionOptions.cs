using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>How IDataView columns become tensors.</summary>
public sealed class TensorConversionOptions
{
    /// <summary>The dtype of value tensors: <see cref="ScalarType.Float32"/> (default) or <see cref="ScalarType.Float64"/>. Key columns always become int64.</summary>
    public ScalarType DType { get; set; } = ScalarType.Float32;

    /// <summary>What to do with a row that holds NaN or a missing key. Default: <see cref="NaNPolicy.Error"/>.</summary>
    public NaNPolicy NaNPolicy { get; set; } = NaNPolicy.Error;

    /// <summary>
    /// When set, a variable-size vector column is accepted and every vector is padded with zeros to this length
    /// (a longer vector is an error). When null (default), a variable-size vector column is an error.
    /// </summary>
    public int? PadVectorsToLength { get; set; }
}
