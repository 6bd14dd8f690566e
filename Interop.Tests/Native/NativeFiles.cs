namespace Interop.Tests.Native;

/// <summary>Where the tests find real ELF inputs: the TorchSharp library copied into the test output, and the host's libstdc++.</summary>
internal static class NativeFiles
{
    public static string LibTorchSharp { get; } =
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    public static string HostLibStdCxx { get; } =
        File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var at and >= 0 ? line[at..] : "")
            .First(path => Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal));

    /// <summary>A private copy of a file, so that a test can edit it freely.</summary>
    public static string CopyToTemp(string path)
    {
        string copy = Path.Combine(Path.GetTempPath(), $"interop-test-{Guid.NewGuid():N}-{Path.GetFileName(path)}");
        File.Copy(path, copy);
        return copy;
    }
}
