using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;

namespace Interop.Native;

/// <summary>How TorchSharp's native library was made loadable in this process.</summary>
public enum NativeLoadOutcome
{
    /// <summary>Nothing needed doing: not Linux.</summary>
    NotNeeded,

    /// <summary>The check could not run (library not found where expected, or unreadable); TorchSharp loads as shipped.</summary>
    NotChecked,

    /// <summary>
    /// The libtorch TorchSharp needs was loaded by absolute path from the packages TorchSharp resolves, then
    /// <c>libLibTorchSharp.so</c> as shipped: the host's libstdc++ is new enough.
    /// </summary>
    LoadedAsShipped,

    /// <summary>
    /// The libtorch TorchSharp needs was loaded by absolute path from the packages TorchSharp resolves, then a copy of
    /// <c>libLibTorchSharp.so</c> with the marker version need made weak.
    /// </summary>
    LoadedWeakenedCopy,

    /// <summary>TorchSharp's native library was already loaded when Interop ran; nothing was changed.</summary>
    AlreadyLoaded,

    /// <summary>The library cannot be made to load here; <see cref="NativeLoadReport.Message"/> says why and what to do.</summary>
    Failed,
}

/// <summary>What <see cref="TorchNativeLoader"/> found and did.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Message">A sentence for people: what was done, or the cause and the way out.</param>
/// <param name="LibraryPath">The <c>libLibTorchSharp.so</c> that was (or would have been) loaded, when known.</param>
/// <param name="LoadedFiles">
/// The native libraries Interop loaded, by absolute path, in load order: the backend's libtorch libraries first,
/// <paramref name="LibraryPath"/> last. Empty when Interop loaded nothing.
/// </param>
public sealed record NativeLoadReport(NativeLoadOutcome Outcome, string Message, string? LibraryPath, IReadOnlyList<string> LoadedFiles);

/// <summary>
/// Makes TorchSharp's native library load on Linux with the libtorch of TorchSharp's own packages, whatever other
/// libtorch the host has, and on distributions whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04, RHEL 9),
/// with no step by the user.
/// </summary>
/// <remarks>
/// <para>
/// Another libtorch on the loader's path (Debian's <c>python3-torch</c> or <c>libtorch-dev</c>, a conda environment in
/// <c>LD_LIBRARY_PATH</c>) can win over the package's: <c>LD_LIBRARY_PATH</c> is searched before a library's own run
/// path, and in the NuGet folder layout that notebooks use, the package's libtorch is on no search path at all. So this
/// class finds TorchSharp's files where TorchSharp's own loader looks for them, loads the libtorch,
/// c10 and other backend libraries that <c>libLibTorchSharp.so</c> needs by absolute path, each after the libraries it
/// needs, and only then <c>libLibTorchSharp.so</c>: the dynamic loader meets a need with a library already loaded under
/// that name before it searches any path. Before and after, it checks in <c>/proc/self/maps</c> that no other file of
/// those names is mapped.
/// </para>
/// <para>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c> only for a marker symbol that is never
/// called (see <see cref="LibStdCxxCompatibility"/>). When the host's libstdc++ lacks that version, this class writes a
/// copy of the library into a per-user cache folder with that one need marked weak, and loads the copy instead. Either
/// way the runtime is told to hand the loaded library to TorchSharp. The NuGet packages folder and the build output are
/// never modified. On Windows and macOS it does nothing.
/// </para>
/// <para>
/// It runs automatically when Interop's assembly is first used. Code that calls TorchSharp before touching anything in
/// Interop should call <see cref="EnsureLoaded"/> first. The cache folder is <c>$INTEROP_NATIVE_CACHE</c> if set, else
/// <c>$XDG_CACHE_HOME/interop/native</c>, else <c>~/.cache/interop/native</c>.
/// </para>
/// </remarks>
public static class TorchNativeLoader
{
    private const string LibraryName = "LibTorchSharp";
    private const string LibraryFile = TorchSharpNativeFiles.LibTorchSharpFile;

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
            return new NativeLoadReport(NativeLoadOutcome.NotNeeded, "Not Linux: TorchSharp's native library loads as shipped.", null, []);

        TorchSharpNativeFiles? files;
        string hostLibStdCxx;
        ElfImage library;
        LibStdCxxDecision decision;
        try
        {
            if (ProcessMaps.MappedFiles().FirstOrDefault(path => Stem(path) == Stem(LibraryFile)) is { } mapped)
                return new NativeLoadReport(NativeLoadOutcome.AlreadyLoaded,
                    $"TorchSharp's native library was already loaded when Interop ran ({string.Join(", ", MappedLibTorch().Append(mapped))}); " +
                    "Interop changed nothing. To have Interop choose the files, call TorchNativeLoader.EnsureLoaded() before the first TorchSharp call.",
                    mapped, []);
            files = TorchSharpNativeFiles.Find();
            if (files is null)
                return new NativeLoadReport(NativeLoadOutcome.NotChecked,
                    $"{LibraryFile} was not found beside TorchSharp; TorchSharp's own loader will look for it.", null, []);
            hostLibStdCxx = LocateHostLibStdCxx();
            library = ElfImage.Load(files.LibTorchSharp);
            decision = LibStdCxxCompatibility.Decide(library, ElfImage.Load(hostLibStdCxx).VersionDefinitions());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or DllNotFoundException)
        {
            return new NativeLoadReport(NativeLoadOutcome.NotChecked,
                $"Could not examine {LibraryFile} and the libraries it needs ({e.Message}); TorchSharp loads them as shipped.", null, []);
        }

        if (files.Problem is { } problem)
            return Fail(files.LibTorchSharp, problem, []);
        if (decision.Action == LibStdCxxAction.CannotLoad)
            return Fail(files.LibTorchSharp, decision.Describe(files.LibTorchSharp, hostLibStdCxx), []);
        if (ForeignLibTorch([.. files.Backend, files.LibTorchSharp]) is { Count: > 0 } foreignBefore)
            return Fail(files.LibTorchSharp,
                $"This process had already loaded {string.Join(", ", foreignBefore)} before Interop could load TorchSharp's own libtorch from " +
                $"{files.BackendSource}, so {LibraryFile} would bind to the wrong libtorch. Something loaded another libtorch first: remove it " +
                "from LD_PRELOAD, or make Interop run before it (reference the Interop package, or call TorchNativeLoader.EnsureLoaded() first).", []);

        bool weaken = decision.Action == LibStdCxxAction.LoadWeakenedCopy;
        string libTorchSharp;
        try
        {
            libTorchSharp = weaken ? WriteWeakenedCopy(library, decision.Missing) : files.LibTorchSharp;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(files.LibTorchSharp,
                $"TorchSharp's native library {files.LibTorchSharp} needs {decision.MissingVersions} from libstdc++, which {hostLibStdCxx} lacks, " +
                $"and Interop could not write a corrected copy: {e.Message} Set INTEROP_NATIVE_CACHE to a writable folder, " +
                "or run on a distribution whose libstdc++ comes from GCC 13 or later (Debian 13, Ubuntu 24.04).", []);
        }

        var loaded = new List<string>();
        IntPtr handle;
        try
        {
            foreach (string file in files.Backend)
            {
                NativeLibrary.Load(file);
                loaded.Add(file);
            }
            handle = NativeLibrary.Load(libTorchSharp);
            loaded.Add(libTorchSharp);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return Fail(files.LibTorchSharp,
                $"Interop could not load TorchSharp's native libraries from {files.BackendSource}" +
                $"{(loaded.Count > 0 ? $" (it had loaded {string.Join(", ", loaded)})" : "")}: {e.Message} " +
                "If a package file is damaged, delete the package's folder and restore it again.", loaded);
        }

        if (ForeignLibTorch(loaded) is { Count: > 0 } foreignAfter)
            return Fail(files.LibTorchSharp,
                $"Loading TorchSharp's libtorch from {files.BackendSource} also mapped {string.Join(", ", foreignAfter)}, found through " +
                $"LD_LIBRARY_PATH or the system path; {LibraryFile} would bind to them. Remove the folder that holds them from LD_LIBRARY_PATH " +
                "for this application.", loaded);

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly,
                (name, _, _) => name == LibraryName ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException) when (!weaken)
        {
            // Someone else owns TorchSharp's resolver. Whatever it loads as libLibTorchSharp.so binds to the libtorch
            // loaded above, and the shipped library needs no copy, so nothing is lost.
        }
        catch (InvalidOperationException e)
        {
            return Fail(files.LibTorchSharp,
                $"Interop loaded a corrected copy of {LibraryFile} ({libTorchSharp}) but could not hand it to TorchSharp: {e.Message} " +
                "Leave TorchSharp's DllImport resolver to Interop.", loaded);
        }

        string how = weaken
            ? $"{hostLibStdCxx} lacks {decision.MissingVersions}, which {LibraryFile} needs only for a marker symbol, so it loaded a copy " +
              $"with that need marked weak: {libTorchSharp}"
            : $"{hostLibStdCxx} defines every version {LibraryFile} needs, so it loaded {libTorchSharp} as shipped";
        return new NativeLoadReport(weaken ? NativeLoadOutcome.LoadedWeakenedCopy : NativeLoadOutcome.LoadedAsShipped,
            $"Interop loaded TorchSharp's libtorch from {files.BackendSource} by absolute path " +
            $"({string.Join(", ", files.Backend.Select(Path.GetFileName))}). {how}.",
            libTorchSharp, loaded);
    }

    /// <summary>
    /// Records the failure and makes TorchSharp's native calls fail with its reason. TorchSharp's own loader still runs
    /// (a resolver cannot stop <c>NativeLibrary.TryLoad</c> from probing on), and usually fails with a message that
    /// blames a missing package; should it load a library after all, that library would bind to the wrong libtorch or
    /// not work on this libstdc++, so each call into it is refused with the reason instead.
    /// </summary>
    private static NativeLoadReport Fail(string original, string message, IReadOnlyList<string> loaded)
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
        return new NativeLoadReport(NativeLoadOutcome.Failed, message, original, loaded);
    }

    /// <summary>Mapped files that carry the name of one of <paramref name="ours"/> (libc10.so.1.13 for libc10.so) but are other files.</summary>
    private static List<string> ForeignLibTorch(IReadOnlyList<string> ours)
    {
        var stems = ours.Select(Stem).ToHashSet(StringComparer.Ordinal);
        var real = ours.Select(ProcessMaps.RealPath).ToHashSet(StringComparer.Ordinal);
        return ProcessMaps.MappedFiles().Where(path => stems.Contains(Stem(path)) && !real.Contains(path)).ToList();
    }

    private static IEnumerable<string> MappedLibTorch() =>
        ProcessMaps.MappedFiles().Where(path => TorchSharpNativeFiles.IsLibTorchLibrary(Path.GetFileName(path)));

    /// <summary>A library's file name up to ".so": libc10.so.1.13 → libc10.</summary>
    private static string Stem(string path)
    {
        string name = Path.GetFileName(path);
        int suffix = name.IndexOf(".so", StringComparison.Ordinal);
        return suffix < 0 ? name : name[..suffix];
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
        ProcessMaps.MappedFiles().FirstOrDefault(path => Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal));

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
}
