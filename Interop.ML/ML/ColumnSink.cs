using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// One IDataView column on its way into a tensor. The column's type is checked when the sink is made, before any
/// cursor exists; afterwards the sink reads the cursor's current row into one reused row slot and appends accepted
/// rows to a flat array that grows by doubling, so converting N rows makes one tensor, not N.
/// </summary>
internal abstract class ColumnSink
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
    public int Rows { get; private protected set; }

    /// <summary>Makes the getter of this column on <paramref name="row"/>; called once per cursor.</summary>
    public abstract void Bind(DataViewRow row, DataViewSchema.Column column);

    /// <summary>Reads the current row into the row slot; false when it holds NaN or a missing key.</summary>
    public abstract bool ReadRow();

    /// <summary>Appends the row slot to the rows.</summary>
    public abstract void CommitRow();

    /// <summary>Forgets the rows and keeps the storage, for the next mini-batch.</summary>
    public void Clear() => Rows = 0;

    /// <summary>A new tensor of the rows: [Rows, Width] for a vector column, [Rows] otherwise.</summary>
    public abstract Tensor ToTensor();

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

    /// <summary>Doubles <paramref name="data"/> until it holds <paramref name="needed"/> elements.</summary>
    private protected static void Reserve<T>(ref T[] data, long needed)
    {
        if (needed <= data.Length)
            return;
        long capacity = Math.Max(needed, Math.Max(16, 2L * data.Length));
        if (capacity > Array.MaxLength)
            throw new InvalidOperationException($"The data does not fit in one array of {Array.MaxLength} elements.");
        Array.Resize(ref data, (int)capacity);
    }
}

/// <summary>A Single or Double column (scalar or vector; sparse vectors densified) converted to float or double.</summary>
internal sealed class ValueSink<TSource, TTarget> : ColumnSink
    where TSource : unmanaged, IFloatingPointIeee754<TSource>
    where TTarget : unmanaged, IFloatingPointIeee754<TTarget>
{
    private readonly TTarget[] _row;
    private TTarget[] _data = [];
    private VBuffer<TSource> _vector;
    private TSource _scalar;
    private ValueGetter<VBuffer<TSource>>? _vectorGetter;
    private ValueGetter<TSource>? _scalarGetter;

    public ValueSink(string name, int width, bool isVector) : base(name, width, isVector) => _row = new TTarget[width];

    public override void Bind(DataViewRow row, DataViewSchema.Column column)
    {
        if (IsVector)
            _vectorGetter = row.GetGetter<VBuffer<TSource>>(column);
        else
            _scalarGetter = row.GetGetter<TSource>(column);
    }

    public override bool ReadRow()
    {
        if (_scalarGetter is not null)
        {
            _scalarGetter(ref _scalar);
            _row[0] = TTarget.CreateTruncating(_scalar);
            return !TTarget.IsNaN(_row[0]);
        }
        _vectorGetter!(ref _vector);
        if (_vector.Length > Width)
            throw new InvalidOperationException(
                $"Column '{Name}' has a vector of length {_vector.Length}, longer than TensorConversionOptions.PadVectorsToLength = {Width}.");
        var values = _vector.GetValues();
        if (_vector.IsDense && values.Length == Width)
        {
            for (int i = 0; i < values.Length; i++)
                _row[i] = TTarget.CreateTruncating(values[i]);
        }
        else
        {
            Array.Clear(_row);
            if (_vector.IsDense)
            {
                for (int i = 0; i < values.Length; i++)
                    _row[i] = TTarget.CreateTruncating(values[i]);
            }
            else
            {
                var indices = _vector.GetIndices();
                for (int i = 0; i < values.Length; i++)
                    _row[indices[i]] = TTarget.CreateTruncating(values[i]);
            }
        }
        foreach (var value in _row)
        {
            if (TTarget.IsNaN(value))
                return false;
        }
        return true;
    }

    public override void CommitRow()
    {
        Reserve(ref _data, (long)(Rows + 1) * Width);
        _row.CopyTo(_data, Rows * Width);
        Rows++;
    }

    public override Tensor ToTensor()
    {
        long[] shape = IsVector ? [Rows, Width] : [Rows];
        return _data switch
        {
            float[] data => tensor(data.AsMemory(0, Rows * Width), shape),
            double[] data => tensor(data.AsMemory(0, Rows * Width), shape),
            _ => throw new InvalidOperationException($"Unsupported element type {typeof(TTarget).Name}."),
        };
    }
}

/// <summary>A key column (labels): key k (1-based; 0 means missing) becomes the class index k − 1, as int64.</summary>
internal sealed class KeySink(string name) : ColumnSink(name, 1, isVector: false)
{
    private long[] _data = [];
    private uint _key;
    private ValueGetter<uint>? _getter;

    public override void Bind(DataViewRow row, DataViewSchema.Column column) => _getter = row.GetGetter<uint>(column);

    public override bool ReadRow()
    {
        _getter!(ref _key);
        return _key != 0;
    }

    public override void CommitRow()
    {
        Reserve(ref _data, Rows + 1L);
        _data[Rows++] = _key - 1L;
    }

    public override Tensor ToTensor() => tensor(_data.AsMemory(0, Rows), [Rows]);
}
