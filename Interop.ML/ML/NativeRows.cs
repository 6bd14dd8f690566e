using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// Rows of <typeparamref name="T"/> written straight into the memory of a CPU tensor [capacity, width]. The capacity is
/// set up front when the row count is known, and otherwise doubles (one copy of the rows so far per doubling).
/// </summary>
internal sealed unsafe class NativeRows<T> : IDisposable where T : unmanaged
{
    private readonly ScalarType _dtype;
    private Tensor? _buffer;
    private T* _data;
    private long _capacity;

    public NativeRows(ScalarType dtype, int width)
    {
        _dtype = dtype;
        Width = width;
    }

    public int Width { get; }

    /// <summary>The slot of row <paramref name="row"/>, which must be below the capacity reserved.</summary>
    public Span<T> Row(long row) => new(_data + row * Width, Width);

    /// <summary>Makes room for <paramref name="rows"/> rows, keeping the first <paramref name="kept"/>.</summary>
    public void Reserve(long rows, long kept)
    {
        if (rows <= _capacity)
            return;
        long capacity = Math.Max(rows, Math.Max(16, 2 * _capacity));
        var grown = empty([capacity, Width], _dtype);
        if (_buffer is not null)
        {
            if (kept > 0)
            {
                using var target = grown.narrow(0, 0, kept);
                using var source = _buffer.narrow(0, 0, kept);
                target.copy_(source);
            }
            _buffer.Dispose();
        }
        _buffer = grown;
        _capacity = capacity;
        _data = (T*)NativeMemory(grown);
    }

    /// <summary>
    /// The first <paramref name="rows"/> rows as a tensor the caller owns, [rows, width] or, for a scalar column, [rows]:
    /// the buffer itself when it holds exactly that many rows (the next row starts a new buffer), else a copy.
    /// </summary>
    public Tensor Take(long rows, bool vector)
    {
        long[] shape = vector ? [rows, Width] : [rows];
        if (_buffer is null || rows == 0)
            return empty(shape, _dtype);
        if (rows == _capacity)
        {
            using var whole = _buffer;
            _buffer = null;
            _capacity = 0;
            _data = null;
            return whole.reshape(shape);
        }
        using var head = _buffer.narrow(0, 0, rows);
        return head.reshape(shape).clone();
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
        _capacity = 0;
    }

    private static void* NativeMemory(Tensor tensor)
    {
        // The first element's address; a CPU tensor's storage does not move while the tensor lives. Spans over
        // Tensor.bytes are limited to 2 GiB, so the address is read from a one-element view.
        using var first = tensor.flatten().narrow(0, 0, 1);
        return System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
