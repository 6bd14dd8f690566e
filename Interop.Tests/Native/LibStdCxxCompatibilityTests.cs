using Interop.Native;

namespace Interop.Tests.Native;

public class LibStdCxxCompatibilityTests
{
    private static readonly ElfImage LibTorchSharp = ElfImage.Load(NativeFiles.LibTorchSharp);

    /// <summary>Exactly what GCC 12's libstdc++ (Debian 12) defines: GLIBCXX_3.4 … 3.4.30 and CXXABI_1.3 … 1.3.13.</summary>
    private static HashSet<string> Gcc12Versions() =>
    [
        .. Enumerable.Range(0, 31).Select(i => i == 0 ? "GLIBCXX_3.4" : $"GLIBCXX_3.4.{i}"),
        .. Enumerable.Range(0, 14).Select(i => i == 0 ? "CXXABI_1.3" : $"CXXABI_1.3.{i}"),
        "CXXABI_TM_1", "CXXABI_FLOAT128",
    ];

    [Fact]
    public void A_GCC12_host_gets_a_copy_with_the_marker_need_weakened()
    {
        var decision = LibStdCxxCompatibility.Decide(LibTorchSharp, Gcc12Versions());
        Assert.Equal(LibStdCxxAction.LoadWeakenedCopy, decision.Action);
        Assert.Equal(["GLIBCXX_3.4.32"], decision.Missing.Select(n => n.Version));
        Assert.Empty(decision.BlockingSymbols);
        Assert.Contains("_ZSt21ios_base_library_initv", decision.Describe("lib.so", "host.so"));
    }

    [Fact]
    public void A_GCC13_or_newer_host_loads_the_library_as_shipped()
    {
        var decision = LibStdCxxCompatibility.Decide(LibTorchSharp, new HashSet<string>([.. Gcc12Versions(), "GLIBCXX_3.4.31", "GLIBCXX_3.4.32"]));
        Assert.Equal(LibStdCxxAction.LoadAsIs, decision.Action);
        Assert.Empty(decision.Missing);
    }

    [Fact]
    public void An_already_weakened_copy_needs_nothing_more()
    {
        var weakened = ElfImage.Parse(LibTorchSharp.WithWeakNeeds(LibTorchSharp.VersionNeeds().Where(n => n.Version == "GLIBCXX_3.4.32")));
        Assert.Equal(LibStdCxxAction.LoadAsIs, LibStdCxxCompatibility.Decide(weakened, Gcc12Versions()).Action);
    }

    [Fact]
    public void A_host_missing_a_version_that_binds_real_functions_cannot_be_fixed_and_is_told_why()
    {
        var older = Gcc12Versions();
        older.Remove("GLIBCXX_3.4.30");
        older.Remove("GLIBCXX_3.4.29");
        var decision = LibStdCxxCompatibility.Decide(LibTorchSharp, older);

        Assert.Equal(LibStdCxxAction.CannotLoad, decision.Action);
        Assert.Equal(["GLIBCXX_3.4.30", "GLIBCXX_3.4.29", "GLIBCXX_3.4.32"], decision.Missing.Select(n => n.Version));
        Assert.Contains(decision.BlockingSymbols, s => s.EndsWith("@GLIBCXX_3.4.30", StringComparison.Ordinal));
        Assert.DoesNotContain(decision.BlockingSymbols, s => s.StartsWith("_ZSt21ios_base_library_initv", StringComparison.Ordinal));

        string message = decision.Describe("/x/libLibTorchSharp.so", "/usr/lib/libstdc++.so.6");
        Assert.Contains("/x/libLibTorchSharp.so", message);
        Assert.Contains("GLIBCXX_3.4.30", message);
        Assert.Contains("newer GCC", message);
    }

    [Fact]
    public void The_decision_for_this_host_matches_what_its_libstdcxx_defines()
    {
        var hostVersions = ElfImage.Load(NativeFiles.HostLibStdCxx).VersionDefinitions();
        var decision = LibStdCxxCompatibility.Decide(LibTorchSharp, hostVersions);
        Assert.Equal(hostVersions.Contains("GLIBCXX_3.4.32") ? LibStdCxxAction.LoadAsIs : LibStdCxxAction.LoadWeakenedCopy, decision.Action);
    }
}
