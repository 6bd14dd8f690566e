using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// An in-memory <see cref="IDataView"/> whose columns are copies of tensors: a [N, D] tensor is a column of
/// known-size vectors of D values, a [N] tensor a scalar column; float32 gives Single and float64 Double. It can
/// shuffle (a seeded random permutation), so ML.NET's <c>ShuffleRows</c> reads it in a fully random order.
/// </summary>
public sealed class TensorDataView : IDataView
{
    private readonly Array[] _columns;
    private readonly int[] _widths;
    private readonly int _rows;

    /// <summary>Makes a data view of the given columns, which must all have the same number of rows.</summary>
    /// <param name="columns">Each column's name and values: a float32 or float64 tensor of rank 1 or 2.</param>
    /// <exception cref="ArgumentException">A tensor has another dtype or rank, or the row counts differ.</exception>
    public TensorDataView(IReadOnlyList<(string Name, Tensor Values)> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0)
            throw new ArgumentException("TensorDataView: 'columns' must name at least one column; got none.", nameof(columns));
        var builder = new DataViewSchema.Builder();
        _columns = new Array[columns.Count];
        _widths = new int[columns.Count];
        _rows = (int)columns[0].Values.shape[0];
        for (int i = 0; i < columns.Count; i++)
        {
            var (name, values) = columns[i];
            if (values.dim() is not (1 or 2) || values.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                throw new ArgumentException(
                    $"TensorDataView: column '{name}' must be a float32 or float64 tensor of shape [N] or [N, D]; got {values.dtype} of shape [{string.Join(", ", values.shape)}].",
                    nameof(columns));
            if (values.shape[0] != _rows)
                throw new ArgumentException($"TensorDataView: column '{name}' has {values.shape[0]} rows; the first column has {_rows}.", nameof(columns));
            _widths[i] = values.dim() == 2 ? (int)values.shape[1] : 0;
            PrimitiveDataViewType item = values.dtype == ScalarType.Float32 ? NumberDataViewType.Single : NumberDataViewType.Double;
            builder.AddColumn(name, _widths[i] > 0 ? new VectorDataViewType(item, _widths[i]) : item);
            using var flat = values.detach().cpu().contiguous().flatten();
            _columns[i] = values.dtype == ScalarType.Float32 ? flat.data<float>().ToArray() : flat.data<double>().ToArray();
        }
        Schema = builder.ToSchema();
    }

    /// <inheritdoc />
    public bool CanShuffle => true;

    /// <inheritdoc />
    public DataViewSchema Schema { get; }

    /// <inheritdoc />
    public long? GetRowCount() => _rows;

    /// <inheritdoc />
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var order = Enumerable.Range(0, _rows).ToArray();
        rand?.Shuffle(order);
        return new Cursor(this, order);
    }

    /// <inheritdoc />
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(TensorDataView parent, int[] order) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext() => ++_position < order.Length;

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)order[_position], 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int width = parent._widths[column.Index];
            Delegate getter = parent._columns[column.Index] switch
            {
                float[] values when width > 0 => VectorGetter(values, width),
                double[] values when width > 0 => VectorGetter(values, width),
                float[] values => (ValueGetter<float>)((ref float value) => value = values[order[_position]]),
                double[] values => (ValueGetter<double>)((ref double value) => value = values[order[_position]]),
                _ => throw new InvalidOperationException("unreachable: columns are float or double arrays"),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; a getter of {typeof(TValue).Name} was asked for.");
        }

        private ValueGetter<VBuffer<T>> VectorGetter<T>(T[] values, int width) => (ref VBuffer<T> value) =>
        {
            var editor = VBufferEditor.Create(ref value, width);
            values.AsSpan(order[_position] * width, width).CopyTo(editor.Values);
            value = editor.Commit();
        };
    }
}
