using Microsoft.ML;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// Conversions between ML.NET's <see cref="IDataView"/> and TorchSharp tensors. A known-size vector column of
/// Single or Double becomes [N, D] (sparse vectors densified), a scalar column [N], and a key column (labels) the
/// int64 class indices [N] (key k becomes k − 1). Every conversion reads through one cursor and converts each row
/// straight into the tensor's native memory, which is allocated once when the data knows its row count
/// (<see cref="IDataView.GetRowCount"/>) and otherwise grows by doubling.
/// </summary>
public static class DataViewTensors
{
    /// <summary>Reads one column into a tensor: [N, D] for a vector column, [N] for a scalar or key column.</summary>
    /// <param name="data">The data to read.</param>
    /// <param name="columnName">The column to convert.</param>
    /// <param name="options">dtype, NaN policy and padding; defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or of a type that does not convert.</exception>
    /// <exception cref="InvalidOperationException">A row holds NaN and the policy is <see cref="NaNPolicy.Error"/>.</exception>
    public static Tensor ToTensor(this IDataView data, string columnName, TensorConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new TensorConversionOptions();
        using var sink = ColumnSink.Create(data.Schema, columnName, options);
        ReadAll(data, [sink], options.NaNPolicy);
        return sink.ToTensor();
    }

    /// <summary>
    /// Reads a feature column and a label column together, so that a row skipped for NaN is skipped in both.
    /// </summary>
    /// <param name="data">The data to read.</param>
    /// <param name="featureColumnName">The feature column: [N, D] or [N].</param>
    /// <param name="labelColumnName">The label column: int64 class indices [N] for a key column, values [N] for a number.</param>
    /// <param name="options">dtype, NaN policy and padding; defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of a type that does not convert.</exception>
    /// <exception cref="InvalidOperationException">A row holds NaN and the policy is <see cref="NaNPolicy.Error"/>.</exception>
    public static (Tensor Features, Tensor Labels) ToTensors(this IDataView data, string featureColumnName, string labelColumnName,
        TensorConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new TensorConversionOptions();
        using var features = ColumnSink.Create(data.Schema, featureColumnName, options);
        using var labels = ColumnSink.Create(data.Schema, labelColumnName, options);
        ReadAll(data, [features, labels], options.NaNPolicy);
        return (features.ToTensor(), labels.ToTensor());
    }

    /// <summary>
    /// Enumerates mini-batches of <paramref name="batchSize"/> rows (the last one may be smaller). One cursor reads the
    /// data and the buffers are reused from batch to batch; each batch is a new pair of tensors that the caller disposes.
    /// </summary>
    /// <param name="data">The data to read.</param>
    /// <param name="featureColumnName">The feature column.</param>
    /// <param name="labelColumnName">The label column, or null for features only.</param>
    /// <param name="batchSize">Rows per batch, at least 1.</param>
    /// <param name="shuffle">Whether to shuffle the rows (ML.NET's <c>ShuffleRows</c>, seeded by <paramref name="seed"/>).</param>
    /// <param name="seed">The shuffle's seed; the same seed gives the same order.</param>
    /// <param name="options">dtype, NaN policy and padding; defaults when null.</param>
    public static IEnumerable<TensorBatch> ToBatches(this IDataView data, string featureColumnName, string? labelColumnName, int batchSize,
        bool shuffle = false, int seed = 0, TensorConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        options ??= new TensorConversionOptions();
        var features = ColumnSink.Create(data.Schema, featureColumnName, options);
        var labels = labelColumnName is null ? null : ColumnSink.Create(data.Schema, labelColumnName, options);
        // The checks above run now; the reading below runs as the caller enumerates.
        return Enumerate(shuffle ? new MLContext(seed).Data.ShuffleRows(data, seed) : data, features, labels, batchSize, options.NaNPolicy);
    }

    /// <summary>Makes a one-column IDataView of a tensor: a [N, D] tensor gives a vector column of D values, a [N] tensor a scalar column.</summary>
    /// <param name="tensor">A float32 or float64 tensor of rank 1 or 2; its values are copied.</param>
    /// <param name="columnName">The column's name.</param>
    public static IDataView ToDataView(this Tensor tensor, string columnName) => new TensorDataView([(columnName, tensor)]);

    private static void ReadAll(IDataView data, ColumnSink[] sinks, NaNPolicy policy)
    {
        if (data.GetRowCount() is long rows)
        {
            foreach (var sink in sinks)
                sink.Reserve(rows);
        }
        using var reader = new RowReader(data, sinks, policy);
        while (reader.Read(int.MaxValue) > 0)
        {
        }
    }

    private static IEnumerable<TensorBatch> Enumerate(IDataView data, ColumnSink features, ColumnSink? labels, int batchSize, NaNPolicy policy)
    {
        ColumnSink[] sinks = labels is null ? [features] : [features, labels];
        try
        {
            long batchRows = Math.Min(batchSize, data.GetRowCount() ?? batchSize);
            foreach (var sink in sinks)
                sink.Reserve(batchRows);
            using var reader = new RowReader(data, sinks, policy);
            while (true)
            {
                foreach (var sink in sinks)
                    sink.Clear();
                if (reader.Read(batchSize) == 0)
                    yield break;
                yield return new TensorBatch(features.ToTensor(), labels?.ToTensor());
            }
        }
        finally
        {
            foreach (var sink in sinks)
                sink.Dispose();
        }
    }
}
