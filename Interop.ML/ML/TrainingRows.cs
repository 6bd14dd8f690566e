using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// The rows a trainer learns from. The first pass over the IDataView counts them and shows every batch to an observer
/// (for the statistics that initialise the model); the rows are kept in memory when their features have at most
/// <see cref="InMemoryElements"/> elements, and are otherwise read again from the IDataView in shuffled batches every
/// epoch, so memory is bounded by the batch, the features and the model whatever the row count.
/// A row filter on ML.NET's row ids picks a fixed subset, such as the part held out for early stopping.
/// </summary>
internal sealed class TrainingRows : IDisposable
{
    /// <summary>The most feature elements kept in memory (16 MiB of float); above it the rows are streamed.</summary>
    public const long InMemoryElements = 1 << 22;

    private const int PassBatchRows = 4096;

    private readonly IDataView _data;
    private readonly string _featureColumn;
    private readonly string _labelColumn;
    private readonly TensorConversionOptions _conversion;
    private readonly Func<DataViewRowId, bool>? _rowFilter;
    private Tensor? _features;
    private Tensor? _labels;

    private TrainingRows(IDataView data, string featureColumn, string labelColumn, TensorConversionOptions conversion, Func<DataViewRowId, bool>? rowFilter)
    {
        _data = data;
        _featureColumn = featureColumn;
        _labelColumn = labelColumn;
        _conversion = conversion;
        _rowFilter = rowFilter;
    }

    /// <summary>Accepted rows (NaN rows skipped when the policy says so, filtered rows left out).</summary>
    public long Count { get; private set; }

    /// <summary>Elements per feature row.</summary>
    public long Width { get; private set; }

    /// <summary>Whether the rows are held in memory (then <see cref="Batches"/> reads no IDataView).</summary>
    public bool InMemory => _features is not null;

    /// <summary>
    /// Reads <paramref name="data"/> once; <paramref name="observe"/> sees each batch of features and labels (tensors
    /// that are disposed after the call). <paramref name="check"/> runs between batches (for cancellation).
    /// </summary>
    public static TrainingRows Read(IDataView data, string featureColumn, string labelColumn, NaNPolicy policy,
        Func<DataViewRowId, bool>? rowFilter, Action<Tensor, Tensor>? observe, Action check)
    {
        var rows = new TrainingRows(data, featureColumn, labelColumn, new TensorConversionOptions { NaNPolicy = policy }, rowFilter);
        var kept = new List<(Tensor Features, Tensor Labels)>();
        bool keep = true;
        try
        {
            foreach (var (features, labels) in rows.Read(PassBatchRows, shuffle: null))
            {
                check();
                rows.Count += features.shape[0];
                rows.Width = features.dim() == 2 ? features.shape[1] : 1;
                using (NewDisposeScope())
                    observe?.Invoke(features, labels);
                keep &= rows.Count * rows.Width <= InMemoryElements;
                if (keep)
                {
                    kept.Add((features, labels));
                    continue;
                }
                features.Dispose();
                labels.Dispose();
                Release(kept);
            }
            if (keep && kept.Count > 0)
            {
                rows._features = cat(kept.Select(batch => batch.Features).ToArray(), 0);
                rows._labels = cat(kept.Select(batch => batch.Labels).ToArray(), 0);
            }
            return rows;
        }
        finally
        {
            Release(kept);
        }
    }

    /// <summary>
    /// One epoch's batches of up to <paramref name="batchSize"/> rows in an order drawn from <paramref name="seed"/>;
    /// each pair is disposed by the enumeration when the next one is taken.
    /// </summary>
    public IEnumerable<(Tensor Features, Tensor Labels)> Batches(int batchSize, int seed)
    {
        if (_features is not null)
        {
            if (batchSize >= Count)
            {
                yield return (_features, _labels!);
                yield break;
            }
            using var order = randperm(Count, generator: new TorchSharp.torch.Generator((ulong)seed));
            for (long start = 0; start < Count; start += batchSize)
            {
                using var rows = order.narrow(0, start, Math.Min(batchSize, Count - start));
                var features = _features.index_select(0, rows);
                var labels = _labels!.index_select(0, rows);
                using (features)
                using (labels)
                    yield return (features, labels);
            }
            yield break;
        }
        foreach (var (features, labels) in Read(batchSize, new Random(seed)))
        {
            using (features)
            using (labels)
                yield return (features, labels);
        }
    }

    public void Dispose()
    {
        _features?.Dispose();
        _labels?.Dispose();
    }

    private IEnumerable<(Tensor Features, Tensor Labels)> Read(int batchSize, Random? shuffle)
    {
        var features = ColumnSink.Create(_data.Schema, _featureColumn, _conversion);
        var labels = ColumnSink.Create(_data.Schema, _labelColumn, _conversion);
        try
        {
            long batchRows = Math.Min(batchSize, _data.GetRowCount() ?? batchSize);
            features.Reserve(batchRows);
            labels.Reserve(batchRows);
            // A data view that cannot shuffle is read through ML.NET's pool shuffle (a pool of 1000 rows).
            var source = shuffle is null || _data.CanShuffle ? _data : new MLContext(shuffle.Next()).Data.ShuffleRows(_data);
            using var reader = new RowReader(source, [features, labels], _conversion.NaNPolicy, _data.CanShuffle ? shuffle : null, _rowFilter);
            while (true)
            {
                features.Clear();
                labels.Clear();
                if (reader.Read(batchSize) == 0)
                    yield break;
                yield return (features.ToTensor(), labels.ToTensor());
            }
        }
        finally
        {
            features.Dispose();
            labels.Dispose();
        }
    }

    private static void Release(List<(Tensor Features, Tensor Labels)> batches)
    {
        foreach (var (features, labels) in batches)
        {
            features.Dispose();
            labels.Dispose();
        }
        batches.Clear();
    }
}
