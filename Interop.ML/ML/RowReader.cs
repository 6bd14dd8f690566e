using Microsoft.ML;

namespace Interop.ML;

/// <summary>
/// Reads rows of an IDataView into <see cref="ColumnSink"/>s through a single cursor, applying the NaN policy to
/// whole rows so that every sink keeps the same rows.
/// </summary>
internal sealed class RowReader : IDisposable
{
    private readonly DataViewRowCursor _cursor;
    private readonly IReadOnlyList<ColumnSink> _sinks;
    private readonly NaNPolicy _policy;

    public RowReader(IDataView data, IReadOnlyList<ColumnSink> sinks, NaNPolicy policy)
    {
        var columns = sinks.Select(sink => data.Schema[sink.Name]).ToArray();
        _cursor = data.GetRowCursor(columns.DistinctBy(column => column.Index));
        for (int i = 0; i < sinks.Count; i++)
            sinks[i].Bind(_cursor, columns[i]);
        _sinks = sinks;
        _policy = policy;
    }

    /// <summary>Appends up to <paramref name="maxRows"/> accepted rows to the sinks; returns how many it appended (0 at the end).</summary>
    public int Read(int maxRows)
    {
        int read = 0;
        while (read < maxRows && _cursor.MoveNext())
        {
            if (!ReadRow())
                continue;
            foreach (var sink in _sinks)
                sink.CommitRow();
            read++;
        }
        return read;
    }

    private bool ReadRow()
    {
        foreach (var sink in _sinks)
        {
            if (sink.ReadRow())
                continue;
            return _policy == NaNPolicy.SkipRow
                ? false
                : throw new InvalidOperationException(
                    $"Column '{sink.Name}' holds NaN or a missing key in row {_cursor.Position}. Set NaNPolicy to SkipRow to leave such rows out.");
        }
        return true;
    }

    public void Dispose() => _cursor.Dispose();
}
