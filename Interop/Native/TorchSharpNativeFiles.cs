using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Interop.Native;

/// <summary>
/// TorchSharp's native files on Linux, found where TorchSharp itself finds them: its own <c>libLibTorchSharp.so</c>, and
/// the libraries it needs from the libtorch backend package the application chose, in the order they must be loaded.
/// </summary>
/// <remarks>
/// <para>
/// Two layouts exist. An application's build output holds TorchSharp's <c>libLibTorchSharp.so</c> and the backend's
/// libraries in one folder (<c>runtimes/linux-x64/native</c>, or the output folder of a RID-specific build); there the
/// shipped library finds its backend through its <c>$ORIGIN</c> run path. Notebooks and scripts (.NET Interactive,
/// dotnet-repl, F# Interactive) load <c>TorchSharp.dll</c> straight from the NuGet packages folder, where each package
/// has a folder of its own; there TorchSharp's own loader takes the backend from <c>libtorch-cpu-linux-x64/&lt;libtorch
/// version&gt;</c> or <c>libtorch-cuda-&lt;CUDA version&gt;-linux-x64-*/&lt;libtorch version&gt;</c> beside its package,
/// at the versions it was built for, and so does this class.
/// </para>
/// <para>
/// Nothing on the system path or in <c>LD_LIBRARY_PATH</c> is ever chosen. A library the backend does not hold (libstdc++,
/// libc, the CUDA driver) is left to the dynamic loader; a libtorch or c10 library it does not hold is reported in
/// <see cref="Problem"/>.
/// </para>
/// </remarks>
/// <param name="LibTorchSharp">TorchSharp's native library as its package ships it.</param>
/// <param name="Backend">The backend's libraries that <paramref name="LibTorchSharp"/> needs, directly or through each other; each comes after the libraries it needs.</param>
/// <param name="BackendSource">Where <paramref name="Backend"/> was taken from, for people.</param>
/// <param name="Problem">Null when the backend is complete; otherwise what is missing, where it was looked for, and what to do.</param>
internal sealed record TorchSharpNativeFiles(string LibTorchSharp, IReadOnlyList<string> Backend, string BackendSource, string? Problem)
{
    /// <summary>The file name of TorchSharp's native library on Linux.</summary>
    public const string LibTorchSharpFile = "libLibTorchSharp.so";

    private static readonly string s_rid = $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";

    private sealed record BackendPackage(string Name, IReadOnlyList<string> Folders);

    /// <summary>Finds TorchSharp's native files; null if <c>libLibTorchSharp.so</c> is nowhere TorchSharp would look.</summary>
    /// <exception cref="IOException">A folder or library could not be read.</exception>
    /// <exception cref="InvalidDataException">A library in the backend is not a readable ELF file.</exception>
    public static TorchSharpNativeFiles? Find()
    {
        string? torchSharpFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (LocateLibTorchSharp(torchSharpFolder) is not { } libTorchSharp)
            return null;

        string beside = Path.GetDirectoryName(libTorchSharp)!;
        string? packagesRoot = NuGetPackagesRoot(torchSharpFolder);
        string source;
        string? problem = null;
        var folders = new List<string> { beside };
        if (packagesRoot is null)
        {
            source = $"beside it in {beside}";
        }
        else
        {
            (var backend, string note, problem) = ChooseNuGetBackend(packagesRoot);
            folders.AddRange(backend?.Folders ?? []);
            source = backend is null ? $"the NuGet packages folder {packagesRoot}" : $"the {backend.Name} package ({string.Join(", ", backend.Folders)}){note}";
        }

        var missing = new List<string>();
        var backendFiles = LoadOrder(libTorchSharp, folders, missing);
        if (problem is null && missing.Count > 0)
            problem = packagesRoot is null
                ? $"{libTorchSharp} needs {string.Join(", ", missing)}, which {(missing.Count == 1 ? "is" : "are")} not beside it in {beside}: " +
                  "the application references TorchSharp but no libtorch backend. " +
                  $"Reference TorchSharp-cpu {TorchSharpVersion()} (or TorchSharp-cuda-linux {TorchSharpVersion()}) in the application's project."
                : $"{libTorchSharp} needs {string.Join(", ", missing)}, which {(missing.Count == 1 ? "is" : "are")} in none of {string.Join(", ", folders)}; " +
                  $"the backend package there is incomplete. Delete its folder from {packagesRoot} and restore it again.";
        return new TorchSharpNativeFiles(libTorchSharp, backendFiles, source, problem);
    }

    /// <summary>Whether a needed library is part of libtorch itself, which must come from the backend package and nowhere else.</summary>
    public static bool IsLibTorchLibrary(string fileName) =>
        fileName.StartsWith("libtorch", StringComparison.Ordinal) || fileName.StartsWith("libc10", StringComparison.Ordinal);

    /// <summary>The <c>libLibTorchSharp.so</c> the runtime would load: in the app's native search folders or beside TorchSharp.dll.</summary>
    private static string? LocateLibTorchSharp(string? torchSharpFolder)
    {
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        if (!string.IsNullOrEmpty(torchSharpFolder))
        {
            folders.Add(torchSharpFolder);
            folders.Add(Path.Combine(torchSharpFolder, "runtimes", s_rid, "native"));
            // The NuGet package layout: torchsharp/<version>/lib/<tfm>/TorchSharp.dll.
            folders.Add(Path.Combine(torchSharpFolder, "..", "..", "runtimes", s_rid, "native"));
        }
        return folders.Select(folder => Path.GetFullPath(Path.Combine(folder, LibTorchSharpFile))).FirstOrDefault(File.Exists);
    }

    /// <summary>The packages folder when TorchSharp.dll was loaded from its NuGet package, as in notebooks: &lt;root&gt;/torchsharp/&lt;version&gt;/lib/&lt;tfm&gt;/.</summary>
    private static string? NuGetPackagesRoot(string? torchSharpFolder)
    {
        if (string.IsNullOrEmpty(torchSharpFolder))
            return null;
        var lib = new DirectoryInfo(torchSharpFolder).Parent;
        var package = lib?.Parent?.Parent;
        return lib?.Name == "lib" && package?.Name.Equals("torchsharp", StringComparison.OrdinalIgnoreCase) == true ? package.Parent?.FullName : null;
    }

    /// <summary>
    /// The backend package TorchSharp would load in the NuGet layout: the CPU or the CUDA package at the libtorch version
    /// TorchSharp was built for. When both are restored, the one the host put on PATH wins (.NET Interactive and F#
    /// Interactive list there the native folders of the packages a script references), else the CPU one, TorchSharp's default.
    /// </summary>
    private static (BackendPackage? Backend, string Note, string? Problem) ChooseNuGetBackend(string packagesRoot)
    {
        if (TorchSharpConstant("libtorchPackageVersion") is not { } libTorchVersion)
            return (null, "", $"TorchSharp {TorchSharpVersion()} ({typeof(torch).Assembly.Location}) does not say which libtorch it was built for; " +
                              "Interop is built for TorchSharp 0.107.0: reference that version.");
        string version = NuGetFolderVersion(libTorchVersion);
        var cpu = new BackendPackage($"libtorch-cpu-{s_rid} {version}", NativeFolders(packagesRoot, $"libtorch-cpu-{s_rid}", version));
        var cuda = TorchSharpConstant("cudaVersion") is { } cudaVersion
            ? new BackendPackage($"libtorch-cuda-{cudaVersion}-{s_rid}-* {version}", NativeFolders(packagesRoot, $"libtorch-cuda-{cudaVersion}-{s_rid}-*", version))
            : null;
        var restored = new[] { cpu, cuda }.OfType<BackendPackage>().Where(backend => backend.Folders.Count > 0).ToList();
        switch (restored.Count)
        {
            case 0:
                return (null, "", $"TorchSharp {TorchSharpVersion()} was loaded from the NuGet packages folder {packagesRoot}, where it takes libtorch from " +
                                  $"the {cpu.Name} package{(cuda is null ? "" : $" or the {cuda.Name} packages")}, and none is restored there. " +
                                  $"Reference the backend beside TorchSharp; in a notebook, in the first cell: #r \"nuget: TorchSharp-cpu, {TorchSharpVersion()}\".");
            case 1:
                return (restored[0], "", null);
        }
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.TrimEndingDirectorySeparator(folder))
            .ToHashSet(StringComparer.Ordinal);
        var named = restored.FirstOrDefault(backend => backend.Folders.Any(folder => onPath.Contains(Path.TrimEndingDirectorySeparator(folder))));
        return named is not null
            ? (named, $"; {string.Join(" and ", restored.Except([named]).Select(other => other.Name))} is restored too, but the host put this one on PATH", null)
            : (cpu, $"; {cuda!.Name} is restored too, but TorchSharp's default backend is the CPU one", null);
    }

    private static List<string> NativeFolders(string packagesRoot, string packagePattern, string version) =>
        Directory.EnumerateDirectories(packagesRoot, packagePattern)
            .Select(package => Path.Combine(package, version, "runtimes", s_rid, "native"))
            .Where(Directory.Exists)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The backend libraries <paramref name="library"/> needs, directly or through each other, each after the libraries
    /// it needs, taken from the first of <paramref name="folders"/> that holds them. libtorch libraries found in none of
    /// the folders are added to <paramref name="missing"/>.
    /// </summary>
    private static List<string> LoadOrder(string library, IReadOnlyList<string> folders, List<string> missing)
    {
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { library };
        void Visit(string file)
        {
            foreach (string needed in ElfImage.NeededLibraries(file))
            {
                if (folders.Select(folder => Path.Combine(folder, needed)).FirstOrDefault(File.Exists) is not { } found)
                {
                    if (IsLibTorchLibrary(needed) && !missing.Contains(needed))
                        missing.Add(needed);
                }
                else if (seen.Add(found))
                {
                    Visit(found);
                    order.Add(found);
                }
            }
        }
        Visit(library);
        return order;
    }

    /// <summary>A constant TorchSharp compiles in (its libtorch and CUDA versions); reading it runs none of TorchSharp's code.</summary>
    private static string? TorchSharpConstant(string name) =>
        typeof(torch).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue() as string;

    /// <summary>The version as NuGet names its folder: 2.10.0.0 → 2.10.0.</summary>
    private static string NuGetFolderVersion(string version)
    {
        var parts = version.Split('.');
        return parts.Length == 4 && parts[3] == "0" ? string.Join('.', parts[..3]) : version;
    }

    private static string TorchSharpVersion() =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString()
        ?? "?";
}
