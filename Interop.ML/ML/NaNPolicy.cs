namespace Interop.ML;

/// <summary>What a conversion from an <see cref="Microsoft.ML.IDataView"/> to tensors does with a row that holds NaN (or a missing key).</summary>
public enum NaNPolicy
{
    /// <summary>Throw, naming the column and the row.</summary>
    Error,

    /// <summary>Leave the row out of every tensor of the conversion, so that features and labels stay aligned.</summary>
    SkipRow,
}
