using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>
/// Reads rows of an IDataView into <see cref="ColumnSink"/>s through a single cursor, applying the NaN policy to
/// whole rows so that every sink keeps the same rows. A row filter on ML.NET's row ids (stable across cursors and
/// shuffles) can pick a fixed subset of the rows, such as a held-out part.
/// </summary>
internal sealed class RowReader : IDisposable
{
    private readonly DataViewRowCursor _cursor;
    private readonly IReadOnlyList<ColumnSink> _sinks;
    private readonly NaNPolicy _policy;
    private readonly Func<DataViewRowId, bool>? _rowFilter;
    private readonly ValueGetter<DataViewRowId>? _id;
    private DataViewRowId _rowId;

    public RowReader(IDataView data, IReadOnlyList<ColumnSink> sinks, NaNPolicy policy, Random? shuffle = null, Func<DataViewRowId, bool>? rowFilter = null)
    {
        var columns = sinks.Select(sink => data.Schema[sink.Name]).ToArray();
        _cursor = data.GetRowCursor(columns.DistinctBy(column => column.Index), shuffle);
        for (int i = 0; i < sinks.Count; i++)
            sinks[i].Bind(_cursor, columns[i]);
        _sinks = sinks;
        _policy = policy;
        _rowFilter = rowFilter;
        _id = rowFilter is null ? null : _cursor.GetIdGetter();
    }

    /// <summary>Appends up to <paramref name="maxRows"/> accepted rows to the sinks; returns how many it appended (0 at the end).</summary>
    public int Read(int maxRows)
    {
        int read = 0;
        while (read < maxRows && _cursor.MoveNext())
        {
            if (_id is not null)
            {
                _id(ref _rowId);
                if (!_rowFilter!(_rowId))
                    continue;
            }
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
        bool accepted = true;
        foreach (var sink in _sinks)
        {
            if (sink.ReadRow())
                continue;
            if (_policy == NaNPolicy.Error)
                throw new InvalidOperationException(
                    $"Column '{sink.Name}' holds NaN or a missing key in row {_cursor.Position}. Set NaNPolicy to SkipRow to leave such rows out.");
            accepted = false;
        }
        return accepted;
    }

    public void Dispose() => _cursor.Dispose();
}
