namespace Interop.Native;

/// <summary>What to do about a native library's libstdc++ version needs on this host.</summary>
public enum LibStdCxxAction
{
    /// <summary>The host's libstdc++ defines every version the library needs: load it as it is.</summary>
    LoadAsIs,

    /// <summary>
    /// Some needed versions are missing, but they bind only marker symbols that are never called:
    /// load a copy in which those needs are weak.
    /// </summary>
    LoadWeakenedCopy,

    /// <summary>Some missing versions bind real functions: no edit can make the library work here.</summary>
    CannotLoad,
}

/// <summary>The outcome of <see cref="LibStdCxxCompatibility.Decide"/>.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Missing">The needs on libstdc++ that the host does not define (empty for <see cref="LibStdCxxAction.LoadAsIs"/>).</param>
/// <param name="BlockingSymbols">For <see cref="LibStdCxxAction.CannotLoad"/>: the real functions bound to missing versions.</param>
public sealed record LibStdCxxDecision(
    LibStdCxxAction Action,
    IReadOnlyList<ElfVersionNeed> Missing,
    IReadOnlyList<string> BlockingSymbols)
{
    /// <summary>The missing version names, comma-separated.</summary>
    public string MissingVersions => string.Join(", ", Missing.Select(need => need.Version));

    /// <summary>
    /// One paragraph for people: for <see cref="LibStdCxxAction.CannotLoad"/> the cause and the way out, otherwise what will be done.
    /// </summary>
    /// <param name="library">Path of the native library that was examined.</param>
    /// <param name="hostLibStdCxx">Path of the host's libstdc++.</param>
    public string Describe(string library, string hostLibStdCxx) => Action switch
    {
        LibStdCxxAction.LoadAsIs =>
            $"{hostLibStdCxx} defines every libstdc++ version {library} needs; it loads as shipped.",
        LibStdCxxAction.LoadWeakenedCopy =>
            $"{hostLibStdCxx} lacks {MissingVersions}, which {library} needs only for the marker symbol " +
            $"{string.Join(", ", LibStdCxxCompatibility.MarkerSymbols)}; a copy with that need marked weak will load.",
        _ =>
            $"TorchSharp's native library {library} needs {MissingVersions} from libstdc++, which {hostLibStdCxx} does not define, " +
            $"and it calls functions bound to those versions ({string.Join(", ", BlockingSymbols.Take(5))}{(BlockingSymbols.Count > 5 ? ", …" : "")}). " +
            "No edit can fix that: install a libstdc++ from a newer GCC that works with this system's glibc, or run on a distribution " +
            "that ships one (Debian 13, Ubuntu 24.04 or later).",
    };
}

/// <summary>
/// Decides whether a native library built against a newer libstdc++ can be made to load against the host's.
/// </summary>
/// <remarks>
/// GCC 13 and later make every object that includes <c>&lt;iostream&gt;</c> reference
/// <c>std::ios_base_library_init()</c> at version GLIBCXX_3.4.32. The reference exists only so that the
/// dynamic loader insists on a libstdc++ that initialises the standard streams itself; nothing ever calls it.
/// Against an older libstdc++ (GCC 12: Debian 12, Ubuntu 22.04, RHEL 9) the streams are initialised by the
/// libraries that still carry their own <c>ios_base::Init</c> objects, such as libtorch, so marking that one
/// need weak is enough. A missing version that binds any other symbol is a real incompatibility and is
/// reported, never patched.
/// </remarks>
public static class LibStdCxxCompatibility
{
    /// <summary>Symbols that exist only to pin a minimum libstdc++ and are never called.</summary>
    public static IReadOnlySet<string> MarkerSymbols { get; } =
        new HashSet<string>(StringComparer.Ordinal) { "_ZSt21ios_base_library_initv" };

    /// <summary>
    /// Compares the libstdc++ versions <paramref name="library"/> needs with the versions the host's libstdc++ defines.
    /// </summary>
    /// <param name="library">The native library to be loaded.</param>
    /// <param name="hostVersions">The version names defined by the host's libstdc++ (its <c>.gnu.version_d</c>).</param>
    public static LibStdCxxDecision Decide(ElfImage library, IReadOnlySet<string> hostVersions)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(hostVersions);

        var missing = library.VersionNeeds()
            .Where(need => need.File.StartsWith("libstdc++.so", StringComparison.Ordinal)
                           && !need.IsWeak
                           && !hostVersions.Contains(need.Version))
            .ToList();
        if (missing.Count == 0)
            return new LibStdCxxDecision(LibStdCxxAction.LoadAsIs, missing, []);

        var blocking = missing
            .SelectMany(need => library.SymbolsBoundTo(need.Index).Select(symbol => $"{symbol}@{need.Version}"))
            .Where(versioned => !MarkerSymbols.Contains(versioned[..versioned.IndexOf('@')]))
            .ToList();
        return new LibStdCxxDecision(
            blocking.Count == 0 ? LibStdCxxAction.LoadWeakenedCopy : LibStdCxxAction.CannotLoad,
            missing,
            blocking);
    }
}
