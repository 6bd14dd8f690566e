using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// One IDataView column on its way into a tensor. The column's type is checked when the sink is made, before any
/// cursor exists; afterwards the sink converts the cursor's current row straight into the next row of a native
/// tensor buffer (<see cref="NativeRows{T}"/>), which is sized up front when the row count is known, and commits it
/// once every column of the row is accepted. Converting N rows makes one tensor, not N.
/// </summary>
internal abstract class ColumnSink : IDisposable
{
    private protected ColumnSink(string name, int width, bool isVector)
    {
        Name = name;
        Width = width;
        IsVector = isVector;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>Elements per row: D for a vector column, 1 for a scalar or key column.</summary>
    public int Width { get; }

    /// <summary>Whether the column is a vector, so that its tensor is [N, D] rather than [N].</summary>
    public bool IsVector { get; }

    /// <summary>Rows appended since the last <see cref="Clear"/>.</summary>
    public long Rows { get; private set; }

    /// <summary>Makes the getter of this column on <paramref name="row"/>; called once per cursor.</summary>
    public abstract void Bind(DataViewRow row, DataViewSchema.Column column);

    /// <summary>Makes room for <paramref name="rows"/> rows in all, so that a known row count needs no regrowing.</summary>
    public abstract void Reserve(long rows);

    /// <summary>Converts the current row into the slot after the committed rows; false when it holds NaN or a missing key.</summary>
    public abstract bool ReadRow();

    /// <summary>Keeps the row that <see cref="ReadRow"/> converted.</summary>
    public void CommitRow() => Rows++;

    /// <summary>Forgets the rows and keeps the storage, for the next mini-batch.</summary>
    public void Clear() => Rows = 0;

    /// <summary>A tensor of the rows that the caller owns: [Rows, Width] for a vector column, [Rows] otherwise.</summary>
    public abstract Tensor ToTensor();

    /// <summary>Frees the buffer.</summary>
    public abstract void Dispose();

    /// <summary>What the column must be, for error messages.</summary>
    public const string Accepted = "a known-size vector of Single or Double, a Single or Double scalar, or a key";

    /// <summary>
    /// Checks that <paramref name="columnName"/> exists in <paramref name="schema"/> and has a type that converts, and
    /// makes its sink. Errors name the column, what was expected and what came.
    /// </summary>
    public static ColumnSink Create(DataViewSchema schema, string columnName, TensorConversionOptions options)
    {
        var type = Find(schema, columnName).Type;
        var floating = options.DType switch
        {
            ScalarType.Float32 => typeof(float),
            ScalarType.Float64 => typeof(double),
            _ => throw new ArgumentException($"TensorConversionOptions.DType must be Float32 or Float64; got {options.DType}.", nameof(options)),
        };
        switch (type)
        {
            case KeyDataViewType key when key.RawType == typeof(uint):
                return new KeySink(columnName);
            case VectorDataViewType vector when vector.ItemType is NumberDataViewType item && (item.RawType == typeof(float) || item.RawType == typeof(double)):
                int width = VectorWidth(columnName, vector, options);
                return Make(item.RawType, floating, columnName, width, isVector: true);
            case NumberDataViewType number when number.RawType == typeof(float) || number.RawType == typeof(double):
                return Make(number.RawType, floating, columnName, 1, isVector: false);
            default:
                throw new ArgumentOutOfRangeException(nameof(columnName), $"Column '{columnName}' must be {Accepted}; got {type}.");
        }
    }

    /// <summary>The column named <paramref name="columnName"/>; the error lists the columns there are.</summary>
    public static DataViewSchema.Column Find(DataViewSchema schema, string columnName)
    {
        ArgumentNullException.ThrowIfNull(columnName);
        return schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentOutOfRangeException(nameof(columnName),
                $"Column '{columnName}' not found in the data; its columns are: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}.");
    }

    private static int VectorWidth(string columnName, VectorDataViewType vector, TensorConversionOptions options)
    {
        if (vector.IsKnownSize)
            return vector.Size;
        return options.PadVectorsToLength is int length and > 0
            ? length
            : throw new ArgumentOutOfRangeException(nameof(columnName),
                $"Column '{columnName}' must be a known-size vector; got the variable-size {vector}. Set TensorConversionOptions.PadVectorsToLength to pad its rows with zeros.");
    }

    private static ColumnSink Make(Type source, Type target, string name, int width, bool isVector) => (source, target) switch
    {
        _ when source == typeof(float) && target == typeof(float) => new ValueSink<float, float>(name, width, isVector),
        _ when source == typeof(float) => new ValueSink<float, double>(name, width, isVector),
        _ when target == typeof(float) => new ValueSink<double, float>(name, width, isVector),
        _ => new ValueSink<double, double>(name, width, isVector),
    };
}

/// <summary>A Single or Double column (scalar or vector; sparse vectors densified) converted to float or double.</summary>
internal sealed class ValueSink<TSource, TTarget> : ColumnSink
    where TSource : unmanaged, IFloatingPointIeee754<TSource>
    where TTarget : unmanaged, IFloatingPointIeee754<TTarget>
{
    private readonly NativeRows<TTarget> _rows;
    private VBuffer<TSource> _vector;
    private TSource _scalar;
    private ValueGetter<VBuffer<TSource>>? _vectorGetter;
    private ValueGetter<TSource>? _scalarGetter;

    public ValueSink(string name, int width, bool isVector) : base(name, width, isVector) =>
        _rows = new NativeRows<TTarget>(typeof(TTarget) == typeof(float) ? ScalarType.Float32 : ScalarType.Float64, width);

    public override void Bind(DataViewRow row, DataViewSchema.Column column)
    {
        if (IsVector)
            _vectorGetter = row.GetGetter<VBuffer<TSource>>(column);
        else
            _scalarGetter = row.GetGetter<TSource>(column);
    }

    public override void Reserve(long rows) => _rows.Reserve(rows, Rows);

    public override bool ReadRow()
    {
        _rows.Reserve(Rows + 1L, Rows);
        var slot = _rows.Row(Rows);
        if (_scalarGetter is not null)
        {
            _scalarGetter(ref _scalar);
            slot[0] = TTarget.CreateTruncating(_scalar);
            return !TTarget.IsNaN(slot[0]);
        }
        _vectorGetter!(ref _vector);
        if (_vector.Length > Width)
            throw new InvalidOperationException(
                $"Column '{Name}' has a vector of length {_vector.Length}, longer than TensorConversionOptions.PadVectorsToLength = {Width}.");
        var values = _vector.GetValues();
        if (_vector.IsDense)
        {
            for (int i = 0; i < values.Length; i++)
                slot[i] = TTarget.CreateTruncating(values[i]);
            slot[values.Length..].Clear();
        }
        else
        {
            slot.Clear();
            var indices = _vector.GetIndices();
            for (int i = 0; i < values.Length; i++)
                slot[indices[i]] = TTarget.CreateTruncating(values[i]);
        }
        foreach (var value in slot)
        {
            if (TTarget.IsNaN(value))
                return false;
        }
        return true;
    }

    public override Tensor ToTensor() => _rows.Take(Rows, IsVector);

    public override void Dispose() => _rows.Dispose();
}

/// <summary>A key column (labels): key k (1-based; 0 means missing) becomes the class index k − 1, as int64.</summary>
internal sealed class KeySink(string name) : ColumnSink(name, 1, isVector: false)
{
    private readonly NativeRows<long> _rows = new(ScalarType.Int64, 1);
    private uint _key;
    private ValueGetter<uint>? _getter;

    public override void Bind(DataViewRow row, DataViewSchema.Column column) => _getter = row.GetGetter<uint>(column);

    public override void Reserve(long rows) => _rows.Reserve(rows, Rows);

    public override bool ReadRow()
    {
        _getter!(ref _key);
        _rows.Reserve(Rows + 1L, Rows);
        _rows.Row(Rows)[0] = _key - 1L;
        return _key != 0;
    }

    public override Tensor ToTensor() => _rows.Take(Rows, vector: false);

    public override void Dispose() => _rows.Dispose();
}
