using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;

namespace Interop.Native;

/// <summary>How TorchSharp's native library was made loadable in this process.</summary>
public enum NativeLoadOutcome
{
    /// <summary>Nothing needed doing: not Linux, or the host's libstdc++ is new enough.</summary>
    NotNeeded,

    /// <summary>The check could not run (library not found where expected, or unreadable); TorchSharp loads as shipped.</summary>
    NotChecked,

    /// <summary>A copy of <c>libLibTorchSharp.so</c> with the marker version need made weak was loaded.</summary>
    LoadedWeakenedCopy,

    /// <summary>The library cannot be made to load here; <see cref="NativeLoadReport.Message"/> says why and what to do.</summary>
    Failed,
}

/// <summary>What <see cref="TorchNativeLoader"/> found and did.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Message">A sentence for people: what was done, or the cause and the way out.</param>
/// <param name="LibraryPath">The library that was (or would have been) loaded, when known.</param>
public sealed record NativeLoadReport(NativeLoadOutcome Outcome, string Message, string? LibraryPath);

/// <summary>
/// Makes TorchSharp's native library load on Linux distributions whose libstdc++ predates GCC 13
/// (Debian 12, Ubuntu 22.04, RHEL 9), with no step by the user.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c> only for a marker symbol that is
/// never called (see <see cref="LibStdCxxCompatibility"/>). When the host's libstdc++ lacks that version, this
/// class writes a copy of the library into a per-user cache folder with that one need marked weak, loads the
/// copy, and tells the runtime to hand it to TorchSharp. The NuGet packages folder and the build output are
/// never modified. On Windows, macOS and newer Linux distributions it does nothing.
/// </para>
/// <para>
/// It runs automatically when Interop's assembly is first used. Code that calls TorchSharp before touching
/// anything in Interop should call <see cref="EnsureLoaded"/> first. The cache folder is
/// <c>$INTEROP_NATIVE_CACHE</c> if set, else <c>$XDG_CACHE_HOME/interop/native</c>, else <c>~/.cache/interop/native</c>.
/// </para>
/// </remarks>
public static class TorchNativeLoader
{
    private const string LibraryName = "LibTorchSharp";
    private const string LibraryFile = "libLibTorchSharp.so";

    private static readonly Lazy<NativeLoadReport> s_report = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>What was found and done; runs the check on first access.</summary>
    public static NativeLoadReport Report => s_report.Value;

    /// <summary>
    /// Makes sure TorchSharp's native library will load; safe to call any number of times from any thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">The library cannot be loaded on this host; the message names the cause and the way out.</exception>
    public static void EnsureLoaded()
    {
        if (Report.Outcome == NativeLoadOutcome.Failed)
            throw new InvalidOperationException(Report.Message);
    }

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "TorchSharp must be able to load before any Interop type touches it.")]
    internal static void InitializeOnModuleLoad() => _ = Report;

    private static NativeLoadReport Install()
    {
        if (!OperatingSystem.IsLinux())
            return new NativeLoadReport(NativeLoadOutcome.NotNeeded, "Not Linux: TorchSharp's native library loads as shipped.", null);

        string? original;
        string hostLibStdCxx;
        ElfImage library;
        LibStdCxxDecision decision;
        try
        {
            original = LocateLibTorchSharp();
            if (original is null)
                return new NativeLoadReport(NativeLoadOutcome.NotChecked,
                    $"{LibraryFile} was not found beside TorchSharp; TorchSharp's own loader will look for it.", null);
            hostLibStdCxx = LocateHostLibStdCxx();
            library = ElfImage.Load(original);
            decision = LibStdCxxCompatibility.Decide(library, ElfImage.Load(hostLibStdCxx).VersionDefinitions());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or DllNotFoundException)
        {
            return new NativeLoadReport(NativeLoadOutcome.NotChecked,
                $"Could not compare {LibraryFile} with the host's libstdc++ ({e.Message}); TorchSharp loads it as shipped.", null);
        }

        switch (decision.Action)
        {
            case LibStdCxxAction.LoadAsIs:
                return new NativeLoadReport(NativeLoadOutcome.NotNeeded, decision.Describe(original, hostLibStdCxx), original);
            case LibStdCxxAction.CannotLoad:
                return Fail(original, decision.Describe(original, hostLibStdCxx));
        }

        try
        {
            string copy = WriteWeakenedCopy(library, decision.Missing);
            PreloadLibTorch(original);
            IntPtr handle = NativeLibrary.Load(copy);
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly,
                (name, _, _) => name == LibraryName ? handle : IntPtr.Zero);
            return new NativeLoadReport(NativeLoadOutcome.LoadedWeakenedCopy,
                $"{hostLibStdCxx} lacks {decision.MissingVersions}, which {LibraryFile} needs only for a marker symbol; loaded a copy with that need marked weak: {copy}",
                copy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return Fail(original,
                $"TorchSharp's native library {original} needs {decision.MissingVersions} from libstdc++, which {hostLibStdCxx} lacks, " +
                $"and Interop could not load a corrected copy: {e.Message} " +
                "If the cache folder is not writable, set INTEROP_NATIVE_CACHE to a writable folder; " +
                "or run on a distribution whose libstdc++ comes from GCC 13 or later (Debian 13, Ubuntu 24.04).");
        }
    }

    /// <summary>Records the failure and hands its reason to TorchSharp's own load attempt, whose error would otherwise blame a missing package.</summary>
    private static NativeLoadReport Fail(string original, string message)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly,
                (name, _, _) => name == LibraryName ? throw new DllNotFoundException(message) : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // Someone else owns TorchSharp's resolver; EnsureLoaded still reports the reason.
        }
        return new NativeLoadReport(NativeLoadOutcome.Failed, message, original);
    }

    /// <summary>Finds the <c>libLibTorchSharp.so</c> the runtime would load: in the app's native search folders or beside TorchSharp.dll.</summary>
    private static string? LocateLibTorchSharp()
    {
        string rid = $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        string? torchSharpFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchSharpFolder))
        {
            folders.Add(torchSharpFolder);
            folders.Add(Path.Combine(torchSharpFolder, "runtimes", rid, "native"));
            // The NuGet package layout, as used by notebooks: torchsharp/<version>/lib/<tfm>/TorchSharp.dll.
            folders.Add(Path.Combine(torchSharpFolder, "..", "..", "runtimes", rid, "native"));
        }
        return folders.Select(folder => Path.GetFullPath(Path.Combine(folder, LibraryFile))).FirstOrDefault(File.Exists);
    }

    /// <summary>The libstdc++ this process has mapped (the runtime itself links it), else the one the loader would pick.</summary>
    private static string LocateHostLibStdCxx()
    {
        if (MappedLibStdCxx() is { } mapped)
            return mapped;
        NativeLibrary.Load("libstdc++.so.6");
        return MappedLibStdCxx() ?? throw new DllNotFoundException("libstdc++.so.6 was loaded but does not appear in /proc/self/maps.");
    }

    private static string? MappedLibStdCxx() =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var at and >= 0 ? line[at..] : null)
            .FirstOrDefault(path => path is not null && Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal));

    /// <summary>
    /// Writes the weakened copy into a folder named by the original's hash, so that different TorchSharp versions
    /// never share a copy, and replaces the file atomically so that concurrent processes never see half of one.
    /// </summary>
    private static string WriteWeakenedCopy(ElfImage library, IReadOnlyList<ElfVersionNeed> needs)
    {
        byte[] patched = library.WithWeakNeeds(needs);
        string key = Convert.ToHexStringLower(SHA256.HashData(library.Bytes))[..16];
        string folder = Path.Combine(CacheRoot(), key);
        string path = Path.Combine(folder, LibraryFile);
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(patched))
            return path;

        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $"{LibraryFile}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temporary, patched);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static string CacheRoot()
    {
        if (Environment.GetEnvironmentVariable("INTEROP_NATIVE_CACHE") is { Length: > 0 } explicitRoot)
            return explicitRoot;
        string cacheHome = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cacheHome, "interop", "native");
    }

    /// <summary>
    /// The copy lives away from libtorch, so its <c>$ORIGIN</c> run path cannot find <c>libtorch.so</c>; loading
    /// libtorch first lets the dynamic loader satisfy the dependency by its soname.
    /// </summary>
    private static void PreloadLibTorch(string original)
    {
        Assembly torchSharp = typeof(torch).Assembly;
        if (NativeLibrary.TryLoad("torch", torchSharp, null, out _))
            return;
        string beside = Path.Combine(Path.GetDirectoryName(original)!, "libtorch.so");
        if (File.Exists(beside))
        {
            NativeLibrary.Load(beside);
            return;
        }
        throw new DllNotFoundException($"libtorch.so was found neither by the runtime's probing nor beside {original}; reference the TorchSharp-cpu package.");
    }
}
