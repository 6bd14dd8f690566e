using System.Runtime.InteropServices;

namespace Interop.Native;

/// <summary>Which files this process has mapped, as <c>/proc/self/maps</c> names them (Linux only).</summary>
internal static class ProcessMaps
{
    /// <summary>Every mapped file, once, in the order of its first mapping. The kernel names each by its real path.</summary>
    public static IReadOnlyList<string> MappedFiles() =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var at and >= 0 ? line[at..] : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// <paramref name="path"/> with every symbolic link resolved, as <c>/proc/self/maps</c> names the file once it is
    /// loaded; <paramref name="path"/> itself if it cannot be resolved.
    /// </summary>
    public static string RealPath(string path)
    {
        IntPtr resolved;
        try
        {
            resolved = ResolvePath(path, IntPtr.Zero);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return path;
        }
        if (resolved == IntPtr.Zero)
            return path;
        try
        {
            return Marshal.PtrToStringUTF8(resolved) ?? path;
        }
        finally
        {
            // realpath allocates with malloc; FreeHGlobal is free on Unix.
            Marshal.FreeHGlobal(resolved);
        }
    }

    [DllImport("libc", EntryPoint = "realpath")]
    private static extern IntPtr ResolvePath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);
}
