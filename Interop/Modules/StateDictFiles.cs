using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>
/// Loading a module's parameters from a file written by <c>Module.save</c>, all or nothing.
/// </summary>
/// <remarks>
/// TorchSharp's <c>Module.load</c> copies entries into the module one by one, so a file that turns out to be truncated
/// or mismatched halfway leaves the module with some parameters from the file and some from before. This loads in
/// strict mode (every name, dtype and shape must match the module) and, if anything fails, puts every parameter and
/// buffer back as it was before throwing. See docs/untrusted-files.md for what loading a file can and cannot do.
/// </remarks>
public static class StateDictFiles
{
    /// <summary>Loads <paramref name="location"/> into <paramref name="module"/>, or throws and leaves it unchanged.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, damaged, or saved from a different module; the message says which entry.</exception>
    public static T load_all_or_nothing<T>(this T module, string location) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(location);
        using var stream = File.OpenRead(location);
        return Load(module, stream, location);
    }

    /// <summary>Loads a state_dict from <paramref name="stream"/> into <paramref name="module"/>, or throws and leaves it unchanged.</summary>
    /// <exception cref="InvalidDataException">The data is truncated, damaged, or saved from a different module; the message says which entry.</exception>
    public static T load_all_or_nothing<T>(this T module, Stream stream) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Load(module, stream, "the stream");
    }

    private static T Load<T>(T module, Stream stream, string source) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        var snapshot = module.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone());
        try
        {
            module.load(stream, strict: true);
            return module;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException or OverflowException or InvalidOperationException)
        {
            using (no_grad())
                foreach (var (name, tensor) in module.state_dict())
                    tensor.copy_(snapshot[name]);
            throw new InvalidDataException(
                $"{source} is not a complete state_dict for this {module.GetName()}: {e.Message} The module was left unchanged.", e);
        }
    }
}
