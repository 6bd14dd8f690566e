using System.Runtime.InteropServices;

namespace Interop.Benchmarks;

/// <summary>
/// How many bytes the C heap has handed out and not taken back, from glibc's <c>mallinfo2</c>: the memory that
/// libtorch's CPU allocator holds for tensors (it allocates with <c>posix_memalign</c>), in every arena and in
/// separately mapped blocks. Unavailable off glibc.
/// </summary>
public static class NativeHeap
{
    private static readonly Lazy<bool> available = new(() =>
    {
        try
        {
            _ = mallinfo2();
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>True on Linux with glibc 2.33 or later.</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && available.Value;

    /// <summary>Bytes in use: allocated from the arenas plus allocated as separate mappings.</summary>
    public static long BytesInUse()
    {
        var info = mallinfo2();
        return (long)(info.uordblks + info.hblkhd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 mallinfo2();
}
