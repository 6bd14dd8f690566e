using Interop.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Native;

/// <summary>The real load, in this test process.</summary>
public class TorchNativeLoaderTests
{
    [Fact]
    public void TorchSharp_loads_on_this_host_and_runs_autograd()
    {
        TorchNativeLoader.EnsureLoaded();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }).requires_grad_();
        (x * x).sum().backward();
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, x.grad!.data<double>().ToArray());
    }

    [Fact]
    public void The_report_matches_the_host_and_a_weakened_copy_differs_from_the_package_only_in_that_flag()
    {
        var report = TorchNativeLoader.Report;
        bool hostIsNew = ElfImage.Load(NativeFiles.HostLibStdCxx).VersionDefinitions().Contains("GLIBCXX_3.4.32");
        Assert.Equal(hostIsNew ? NativeLoadOutcome.LoadedAsShipped : NativeLoadOutcome.LoadedWeakenedCopy, report.Outcome);
        if (report.Outcome != NativeLoadOutcome.LoadedWeakenedCopy)
            return;

        Assert.DoesNotContain(".nuget", report.LibraryPath!);
        Assert.DoesNotContain(AppContext.BaseDirectory, report.LibraryPath!);
        byte[] original = File.ReadAllBytes(NativeFiles.LibTorchSharp);
        byte[] copy = File.ReadAllBytes(report.LibraryPath!);
        Assert.Equal(original.Length, copy.Length);
        Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != copy[i]);
    }

    [Fact]
    public void The_report_names_the_package_libtorch_it_loaded_and_those_are_the_files_this_process_mapped()
    {
        var report = TorchNativeLoader.Report;
        Assert.Equal(report.LibraryPath, report.LoadedFiles[^1]);
        Assert.Equal(["libc10.so", "libtorch_cpu.so", "libtorch.so"],
            report.LoadedFiles.Select(Path.GetFileName).Where(name => TorchSharpNativeFiles.IsLibTorchLibrary(name!)));
        Assert.All(report.LoadedFiles.SkipLast(1), file => Assert.Equal(Path.GetDirectoryName(NativeFiles.LibTorchSharp), Path.GetDirectoryName(file)));

        var mapped = ProcessMaps.MappedFiles();
        Assert.All(report.LoadedFiles, file => Assert.Contains(ProcessMaps.RealPath(file), mapped));
        Assert.Equal(
            report.LoadedFiles.Where(file => TorchSharpNativeFiles.IsLibTorchLibrary(Path.GetFileName(file))).Select(ProcessMaps.RealPath).Order(),
            mapped.Where(file => TorchSharpNativeFiles.IsLibTorchLibrary(Path.GetFileName(file))).Order());
    }

    [Fact]
    public void The_shipped_library_in_the_build_output_is_left_as_it_came()
    {
        var need = ElfImage.Load(NativeFiles.LibTorchSharp).VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(need.IsWeak);
    }
}
