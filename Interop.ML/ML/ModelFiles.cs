using System.IO.Compression;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace Interop.ML;

/// <summary>
/// Loading a saved ML.NET model with errors that say what is wrong with the file.
/// </summary>
/// <remarks>
/// <c>mlContext.Model.Load</c> reports a damaged zip in whatever words the failing component uses, from "Failed to open
/// a zip archive" to "Exception has been thrown by the target of an invocation". <see cref="LoadChecked(ModelOperationsCatalog, string, out DataViewSchema)"/>
/// first reads every entry of the zip to its end, which makes .NET verify each entry's CRC-32, and only then hands the
/// bytes to ML.NET; any failure comes back as one <see cref="InvalidDataException"/> that names the file, the entry
/// when it is known, and the cause. See docs/untrusted-files.md.
///
/// ML.NET hands each ONNX graph in the zip to ONNX Runtime under a random temporary file name, and ONNX Runtime reads
/// a name that ends in ".ort" as its own format and refuses the model (about one load in 32,768;
/// dotnet/machinelearning#7339). When ONNX Runtime refuses a model, LoadChecked loads once more, under new names.
/// </remarks>
public static class ModelFiles
{
    /// <summary>Loads a model saved by <c>mlContext.Model.Save</c> from <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a complete, intact ML.NET model zip.</exception>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Load(catalog, File.ReadAllBytes(path), $"'{path}'", out inputSchema);
    }

    /// <summary>Loads a model saved by <c>mlContext.Model.Save</c> from <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a complete, intact ML.NET model zip.</exception>
    public static ITransformer LoadChecked(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Load(catalog, copy.ToArray(), "the stream", out inputSchema);
    }

    private static ITransformer Load(ModelOperationsCatalog catalog, byte[] bytes, string source, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        DataViewSchema? schema = null;
        var model = Load(bytes, source, stream => catalog.Load(stream, out schema));
        inputSchema = schema!;
        return model;
    }

    /// <summary>Verifies the zip, then loads it with <paramref name="load"/>, once more if ONNX Runtime refused a graph.</summary>
    internal static ITransformer Load(byte[] bytes, string source, Func<Stream, ITransformer> load)
    {
        VerifyEntries(bytes, source);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return load(new MemoryStream(bytes, writable: false));
            }
            catch (Exception e) when (attempt == 1 && RefusedByOnnxRuntime(e))
            {
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"{source} is an intact zip but not a model ML.NET can load: {Causes(e)}", e);
            }
        }
    }

    private static bool RefusedByOnnxRuntime(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current is OnnxRuntimeException)
                return true;
        return false;
    }

    /// <summary>The messages along the chain of inner exceptions, skipping reflection's wrappers that say nothing.</summary>
    private static string Causes(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
            if (current is not TargetInvocationException && !messages.Contains(current.Message))
                messages.Add(current.Message.TrimEnd('.'));
        return string.Join(": ", messages) + ".";
    }

    private static void VerifyEntries(byte[] bytes, string source)
    {
        string entry = "the zip directory";
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count == 0)
                throw new InvalidDataException("the zip holds no entries.");
            foreach (var item in zip.Entries)
            {
                entry = $"entry '{item.FullName}'";
                using var content = item.Open();
                content.CopyTo(Stream.Null);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source} is not a complete ML.NET model zip ({entry}): {e.Message}", e);
        }
    }
}
