using Interop.Native;

namespace Interop.Tests.Native;

public class ElfImageTests
{
    private static readonly ElfImage LibTorchSharp = ElfImage.Load(NativeFiles.LibTorchSharp);

    [Fact]
    public void Reads_the_libstdcxx_needs_of_TorchSharp_including_the_GCC13_marker_version()
    {
        var needs = LibTorchSharp.VersionNeeds().Where(n => n.File == "libstdc++.so.6").ToList();
        Assert.Contains(needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.Contains(needs, n => n.Version == "CXXABI_1.3");
        Assert.All(needs, n => Assert.False(n.IsWeak));
        Assert.Contains(LibTorchSharp.VersionNeeds(), n => n.File == "libc.so.6" && n.Version == "GLIBC_2.2.5");
    }

    [Fact]
    public void Only_the_ios_base_library_init_marker_is_bound_to_GLIBCXX_3_4_32()
    {
        var need = LibTorchSharp.VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(["_ZSt21ios_base_library_initv"], LibTorchSharp.SymbolsBoundTo(need.Index));
    }

    [Fact]
    public void Reads_the_version_definitions_of_the_host_libstdcxx()
    {
        var versions = ElfImage.Load(NativeFiles.HostLibStdCxx).VersionDefinitions();
        Assert.Contains("GLIBCXX_3.4", versions);
        Assert.Contains("CXXABI_1.3", versions);
    }

    [Fact]
    public void Weakening_a_need_changes_exactly_that_flag_and_nothing_else()
    {
        var need = LibTorchSharp.VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32");
        byte[] original = LibTorchSharp.Bytes.ToArray();
        byte[] patched = LibTorchSharp.WithWeakNeeds([need]);

        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.Equal([(int)need.FlagsOffset], changed);
        Assert.Equal(ElfImage.WeakVersionFlag, patched[need.FlagsOffset]);

        var reread = ElfImage.Parse(patched).VersionNeeds();
        Assert.True(reread.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal(LibTorchSharp.VersionNeeds().Count(n => n.IsWeak) + 1, reread.Count(n => n.IsWeak));
    }

    [Fact]
    public void Weakening_leaves_the_source_image_and_file_untouched()
    {
        string copy = NativeFiles.CopyToTemp(NativeFiles.LibTorchSharp);
        try
        {
            var image = ElfImage.Load(copy);
            _ = image.WithWeakNeeds(image.VersionNeeds());
            Assert.All(image.VersionNeeds(), n => Assert.False(n.IsWeak));
            Assert.Equal(File.ReadAllBytes(NativeFiles.LibTorchSharp), File.ReadAllBytes(copy));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void Reads_the_libraries_TorchSharp_needs_libtorch_first()
    {
        var needed = ElfImage.NeededLibraries(NativeFiles.LibTorchSharp);
        Assert.Equal(["libtorch.so", "libc10.so", "libtorch_cpu.so"], needed.Take(3));
        Assert.Contains("libstdc++.so.6", needed);
    }

    [Fact]
    public void Reads_the_needs_of_libtorch_cpu_from_its_headers_alone()
    {
        string libTorchCpu = Path.Combine(Path.GetDirectoryName(NativeFiles.LibTorchSharp)!, "libtorch_cpu.so");
        Assert.True(new FileInfo(libTorchCpu).Length > 100_000_000, "libtorch_cpu.so is the half-gigabyte file this is about");
        var needed = ElfImage.NeededLibraries(libTorchCpu);
        Assert.Contains("libc10.so", needed);
        Assert.Contains(needed, name => name.StartsWith("libgomp-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(10, "not an ELF file")]
    [InlineData(4096, "truncated")]
    public void Reading_needs_of_a_cut_file_gives_a_message_not_a_crash(int length, string expected)
    {
        string cut = NativeFiles.CopyToTemp(NativeFiles.LibTorchSharp);
        try
        {
            File.WriteAllBytes(cut, File.ReadAllBytes(NativeFiles.LibTorchSharp)[..length]);
            Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => ElfImage.NeededLibraries(cut)).Message);
        }
        finally
        {
            File.Delete(cut);
        }
    }

    [Fact]
    public void Rejects_a_file_that_is_not_ELF() =>
        Assert.Contains("not an ELF file", Assert.Throws<InvalidDataException>(() => ElfImage.Parse("#!/bin/sh\necho hello, this is not a library.\n"u8.ToArray().Concat(new byte[64]).ToArray(), "script")).Message);

    [Fact]
    public void Rejects_a_32_bit_ELF_file()
    {
        byte[] header = LibTorchSharp.Bytes[..64].ToArray();
        header[4] = 1;
        Assert.Contains("64-bit little-endian", Assert.Throws<InvalidDataException>(() => ElfImage.Parse(header)).Message);
    }

    [Fact]
    public void Rejects_a_truncated_file_with_a_message_not_a_crash()
    {
        byte[] truncated = LibTorchSharp.Bytes[..4096].ToArray();
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ElfImage.Parse(truncated, "cut.so")).Message);
    }
}
