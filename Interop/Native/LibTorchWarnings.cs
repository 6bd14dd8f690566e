using System.Runtime.InteropServices;
using TorchSharp;

namespace Interop.Native;

/// <summary>
/// Silences libtorch's own warnings for the length of one call that is known to trigger a warning that does not apply.
/// </summary>
/// <remarks>
/// libtorch prints warnings straight to stderr through c10's logger, which TorchSharp gives no way to configure. The
/// logger drops messages below the level in c10's exported <c>FLAGS_caffe2_log_level</c>, so raising that to ERROR
/// for the duration of a call, and putting it back afterwards, hides that call's warnings and nothing else's (apart
/// from warnings another thread happens to raise in the same moment). If the symbol cannot be found, nothing is silenced.
/// </remarks>
internal sealed class LibTorchWarnings : IDisposable
{
    private const int ErrorLevel = 2;
    private static readonly Lazy<IntPtr> s_logLevel = new(FindLogLevel);
    private static readonly object s_gate = new();
    private static int s_depth;
    private static int s_saved;

    private LibTorchWarnings()
    {
    }

    /// <summary>Raises libtorch's log level to ERROR until the returned scope is disposed.</summary>
    public static LibTorchWarnings Silenced()
    {
        var level = s_logLevel.Value;
        if (level != IntPtr.Zero)
        {
            lock (s_gate)
            {
                if (s_depth++ == 0)
                {
                    s_saved = Marshal.ReadInt32(level);
                    Marshal.WriteInt32(level, Math.Max(s_saved, ErrorLevel));
                }
            }
        }
        return new LibTorchWarnings();
    }

    public void Dispose()
    {
        var level = s_logLevel.Value;
        if (level == IntPtr.Zero)
            return;
        lock (s_gate)
        {
            if (--s_depth == 0)
                Marshal.WriteInt32(level, s_saved);
        }
    }

    /// <summary>c10 is already loaded by the time this runs; asking for it by its file name finds the loaded copy.</summary>
    private static IntPtr FindLogLevel()
    {
        bool found = NativeLibrary.TryLoad("c10", typeof(torch).Assembly, null, out var c10)
                     || NativeLibrary.TryLoad("libc10.so", out c10)
                     || NativeLibrary.TryLoad("libc10.dylib", out c10);
        return found && NativeLibrary.TryGetExport(c10, "FLAGS_caffe2_log_level", out var level) ? level : IntPtr.Zero;
    }
}
