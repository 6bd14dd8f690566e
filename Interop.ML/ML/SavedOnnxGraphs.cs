using System.IO.Compression;
using Microsoft.ML;
using Onnx;

namespace Interop.ML;

/// <summary>
/// Finds the ONNX graphs of this library's trainers in a model: in a model zip, every OnnxTransformer stores its
/// graph in an entry named "OnnxModel" (a 32-bit length, then the bytes); a model in memory is first saved to a zip,
/// through ML.NET's public Save, since a loaded chain is made of stock transformers only.
/// </summary>
internal static class SavedOnnxGraphs
{
    private const string EntryName = "OnnxModel";

    /// <summary>The one graph whose metadata says it is <paramref name="kind"/>; the error names the source.</summary>
    public static ModelProto Find(Stream zip, string source, string kindKey, string kind)
    {
        var found = new List<ModelProto>();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true))
        {
            foreach (var entry in archive.Entries.Where(entry => entry.Name == EntryName))
            {
                using var content = entry.Open();
                using var reader = new BinaryReader(content);
                int length = reader.ReadInt32();
                var model = ModelProto.Parser.ParseFrom(reader.ReadBytes(length));
                if (model.MetadataProps.Any(prop => prop.Key == kindKey && prop.Value == kind))
                    found.Add(model);
            }
        }
        return found.Count switch
        {
            1 => found[0],
            0 => throw new InvalidDataException($"{source} holds no {kind} trained by Interop.ML."),
            _ => throw new InvalidDataException($"{source} holds {found.Count} {kind} models; read each trained transformer's Model instead."),
        };
    }

    /// <summary>The graph of <paramref name="kind"/> in a model in memory.</summary>
    public static ModelProto Find(ITransformer model, string kindKey, string kind)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var zip = new MemoryStream();
        new MLContext().Model.Save(model, null, zip);
        zip.Position = 0;
        return Find(zip, "the model", kindKey, kind);
    }

    /// <summary>The graph of <paramref name="kind"/> in a model zip file.</summary>
    public static ModelProto Find(string path, string kindKey, string kind)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.OpenRead(path);
        return Find(file, $"'{path}'", kindKey, kind);
    }

    /// <summary>The values and shape of the initializer <paramref name="name"/> (float).</summary>
    public static (float[] Values, long[] Shape) Parameter(ModelProto model, string name)
    {
        var initializer = model.Graph.Initializer.SingleOrDefault(tensor => tensor.Name == name)
            ?? throw new InvalidDataException($"The {model.Graph.Name} graph has no parameter '{name}'.");
        return (initializer.FloatData.ToArray(), initializer.Dims.ToArray());
    }
}
