namespace Interop.ML;

/// <summary>
/// The file an OnnxTransformer is made from. ML.NET writes in-memory model bytes to a random temporary name, which
/// ONNX Runtime refuses when it happens to end in ".ort" (about one model in 32,768) and which nothing deletes; this
/// file always ends in ".onnx", exists only while ONNX Runtime reads it (when it is made, and when the model is
/// saved, since ML.NET's Save reads the graph back from that path), and is deleted right after.
/// </summary>
internal sealed class OnnxModelFile : IDisposable
{
    private readonly byte[] _bytes;
    private readonly object _gate = new();

    public OnnxModelFile(byte[] bytes)
    {
        _bytes = bytes;
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"interop-{Guid.NewGuid():N}.onnx");
    }

    /// <summary>Where the file is while it exists.</summary>
    public string Path { get; }

    /// <summary>Writes the file, runs <paramref name="read"/>, deletes the file; one at a time.</summary>
    public T While<T>(Func<string, T> read)
    {
        lock (_gate)
        {
            if (!File.Exists(Path))
                File.WriteAllBytes(Path, _bytes);
            try
            {
                return read(Path);
            }
            finally
            {
                Delete();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
            Delete();
    }

    private void Delete()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Windows refuses to delete a file that ONNX Runtime's model stream still holds open; Dispose tries again.
        }
    }
}
