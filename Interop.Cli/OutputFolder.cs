namespace Interop.Cli;

/// <summary>
/// The folder a command writes its files into, checked before the command does any work, so that a path that
/// cannot be used is reported at once rather than after minutes of training.
/// </summary>
internal static class OutputFolder
{
    /// <summary>
    /// Checks that <paramref name="folder"/> is a folder, or can be created as one, in which the files
    /// <paramref name="fileNames"/> can be written; returns its full path. Creates nothing.
    /// </summary>
    /// <exception cref="UsageException">It cannot be used; the message names the option, the path and why.</exception>
    public static string Check(string option, string folder, IReadOnlyList<string> fileNames)
    {
        string full = Path.GetFullPath(folder);
        UsageException Unusable(string why) => new($"--{option} {folder}: {why}.");

        if (File.Exists(full))
            throw Unusable("is a file; expected a folder (created if missing)");
        string existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw Unusable($"{existing} is a file, not a folder");
            existing = Path.GetDirectoryName(existing)!;   // the root always exists
        }
        try
        {
            // A probe, not the permission bits: they do not tell about read-only mounts, ACLs or root.
            using var probe = File.Create(Path.Combine(existing, $".interop-write-test-{Guid.NewGuid():N}"), 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unusable($"cannot write in {existing}: {Reason(e)}");
        }
        foreach (string target in fileNames.Select(name => Path.Combine(full, name)))
        {
            if (Directory.Exists(target))
                throw Unusable($"{target} is a folder, where a file is to be written");
            if (!File.Exists(target))
                continue;
            try
            {
                using var open = new FileStream(target, FileMode.Open, FileAccess.Write);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unusable($"cannot overwrite {target}: {Reason(e)}");
            }
        }
        return full;
    }

    /// <summary>Why a write failed, without the probe's name that .NET's message would show.</summary>
    private static string Reason(Exception e) => e is UnauthorizedAccessException ? "access is denied" : e.Message.TrimEnd('.');
}
