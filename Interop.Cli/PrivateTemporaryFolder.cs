using System.Runtime.InteropServices;

namespace Interop.Cli;

/// <summary>
/// A temporary folder of the process's own, which it makes the process's temporary folder (what
/// <see cref="Path.GetTempPath"/> returns) and deletes, with everything in it, when the process ends.
/// </summary>
/// <remarks>
/// Libraries the CLI uses write temporary files that they delete only when disposed: ML.NET's OnnxTransformer writes
/// every ONNX model it is handed as bytes to a file of a random name there, and removes it only in Dispose, which
/// Interop.ML's trained models do not expose. Without this folder each <c>train</c> left two such files behind.
/// Native code that reads TMPDIR itself (ONNX Runtime keeps one <c>.ses</c> file there, reused by every run) is not
/// affected: the variable is changed for managed code only.
/// </remarks>
internal sealed class PrivateTemporaryFolder : IDisposable
{
    private static readonly string Variable = OperatingSystem.IsWindows() ? "TMP" : "TMPDIR";

    private readonly string _path;
    private readonly string? _previous;
    private readonly PosixSignalRegistration[] _signals;

    public PrivateTemporaryFolder()
    {
        _previous = Environment.GetEnvironmentVariable(Variable);
        _path = Directory.CreateTempSubdirectory("interop-").FullName;
        Environment.SetEnvironmentVariable(Variable, _path);
        // Ctrl+C and kill end the process without unwinding to Dispose; the signal's default action follows this.
        _signals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => Delete()))];
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
            signal.Dispose();
        Environment.SetEnvironmentVariable(Variable, _previous);
        Delete();
    }

    private void Delete()
    {
        try
        {
            Directory.Delete(_path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file still open elsewhere in the process; the system's own clean-up of its temporary folder takes it.
        }
    }
}
