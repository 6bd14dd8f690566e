using System.Reflection;
using System.Runtime.InteropServices;
using Interop.Functions;
using Interop.Native;
using Interop.Tests.Reliability;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Native;

/// <summary>
/// TorchSharp loaded the ways applications and notebooks load it, each in a child process (Native/NativeLoadHost) whose
/// LD_LIBRARY_PATH starts with a foreign libtorch: files named libtorch.so, libc10.so and libtorch_cpu.so that are
/// copies of an unrelated library, so that a process that picks them cannot load TorchSharp. The files the process maps
/// must be exactly the ones Interop reports, all from the backend package TorchSharp resolves, and a Function must give
/// the same numbers as in this process.
/// </summary>
public sealed class NativeLayoutTests(NativeLayoutTests.Layouts layouts) : IClassFixture<NativeLayoutTests.Layouts>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private static readonly string Rid = $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";

    [Fact]
    public void The_foreign_libtorch_breaks_a_library_loaded_by_path_when_nothing_is_loaded_before_it()
    {
        // TorchSharp's own loader loads libtorch_cpu.so by path from the output folder; the dynamic loader then searches
        // LD_LIBRARY_PATH for libc10.so before the library's own $ORIGIN, and takes the fake.
        var run = layouts.Run(Layouts.Host, "--preload", Path.Combine(Layouts.HostNative, "libtorch_cpu.so"));
        Assert.NotNull(run.PreloadFailure);
        Assert.Contains("undefined symbol", run.PreloadFailure);
    }

    [Fact]
    public void An_application_output_folder_maps_the_package_libtorch_not_the_one_on_LD_LIBRARY_PATH()
    {
        var run = layouts.Run(Layouts.Host);
        AssertRanOnPackageLibTorch(run, Layouts.HostNative);
        Assert.Equal(ShippedOrWeakened(Path.Combine(Layouts.HostNative, "libLibTorchSharp.so")), run.Outcome);
    }

    [Fact]
    public void A_notebook_loading_TorchSharp_from_the_NuGet_packages_folder_maps_the_package_libtorch()
    {
        string torchSharp = Path.Combine(Layouts.NuGetRoot, "torchsharp", Layouts.TorchSharpVersion);
        var run = layouts.Run(layouts.AppWithoutTorchSharp, "--torchsharp-from", Path.Combine(torchSharp, "lib", "net8.0"));
        AssertRanOnPackageLibTorch(run, Path.Combine(Layouts.NuGetRoot, $"libtorch-cpu-{Rid}", Layouts.LibTorchVersion, "runtimes", Rid, "native"));
        Assert.Equal(ShippedOrWeakened(Path.Combine(torchSharp, "runtimes", Rid, "native", "libLibTorchSharp.so")), run.Outcome);
    }

    /// <summary>
    /// On a host whose libstdc++ is new enough no copy is made, and the library loads as shipped; a foreign libtorch can
    /// still win there. A library whose marker need is already weak stands for such a host on any machine.
    /// </summary>
    [Theory]
    [InlineData("output folder")]
    [InlineData("NuGet packages folder")]
    public void A_library_that_needs_no_copy_loads_as_shipped_and_still_maps_the_package_libtorch(string layout)
    {
        byte[] shipped = WeakenedLibTorchSharp();
        var (run, backend, library) = layout == "output folder"
            ? RunApp(shipped, withBackend: true)
            : RunPackages(shipped, $"libtorch-cpu-{Rid}");
        AssertRanOnPackageLibTorch(run, backend);
        Assert.Equal(nameof(NativeLoadOutcome.LoadedAsShipped), run.Outcome);
        Assert.Equal(library, run.Loaded[^1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void With_CPU_and_CUDA_backends_restored_the_one_the_host_put_on_PATH_wins_else_the_CPU_one(bool cudaOnPath)
    {
        string cudaPart = $"libtorch-cuda-12.8-{Rid}-part1";
        string root = layouts.Packages(shipped: null, $"libtorch-cpu-{Rid}", cudaPart);
        string Native(string package) => Path.Combine(root, package, Layouts.LibTorchVersion, "runtimes", Rid, "native");
        var environment = new Dictionary<string, string>();
        if (cudaOnPath)
            environment["PATH"] = $"{Environment.GetEnvironmentVariable("PATH")}:{Native(cudaPart)}";

        var run = layouts.Run(layouts.AppWithoutTorchSharp, environment, "--torchsharp-from", Layouts.TorchSharpLib(root));
        AssertRanOnPackageLibTorch(run, cudaOnPath ? Native(cudaPart) : Native($"libtorch-cpu-{Rid}"));
        Assert.Contains("is restored too", run.Message);
    }

    [Fact]
    public void A_notebook_without_a_backend_package_is_told_which_one_to_reference_and_nothing_is_loaded()
    {
        var (run, _, _) = RunPackages(shipped: null);
        Assert.Equal(nameof(NativeLoadOutcome.Failed), run.Outcome);
        Assert.Contains($"libtorch-cpu-{Rid} {Layouts.LibTorchVersion} package", run.Message);
        Assert.Contains($"#r \"nuget: TorchSharp-cpu, {Layouts.TorchSharpVersion}\"", run.Message);
        Assert.Empty(run.Loaded);
        Assert.Empty(run.Mapped);
    }

    [Fact]
    public void An_application_without_a_backend_package_is_told_which_one_to_reference_and_nothing_is_loaded()
    {
        var (run, _, _) = RunApp(File.ReadAllBytes(Path.Combine(Layouts.HostNative, "libLibTorchSharp.so")), withBackend: false);
        Assert.Equal(nameof(NativeLoadOutcome.Failed), run.Outcome);
        Assert.Contains("needs libtorch.so, libc10.so, libtorch_cpu.so, which are not beside it", run.Message);
        Assert.Contains($"Reference TorchSharp-cpu {Layouts.TorchSharpVersion}", run.Message);
        Assert.Empty(run.Loaded);
        Assert.Empty(run.Mapped);
    }

    [Fact]
    public void A_foreign_libtorch_already_in_the_process_is_named_and_nothing_more_is_loaded()
    {
        string foreign = Path.Combine(layouts.Foreign, "libc10.so");
        var run = layouts.Run(Layouts.Host, "--preload", foreign);
        Assert.Equal(nameof(NativeLoadOutcome.Failed), run.Outcome);
        Assert.Contains($"had already loaded {foreign}", run.Message);
        Assert.Contains("LD_PRELOAD", run.Message);
        Assert.Empty(run.Loaded);
        Assert.Equal([foreign], run.Mapped);
    }

    private static string ShippedOrWeakened(string library) =>
        LibStdCxxCompatibility.Decide(ElfImage.Load(library), ElfImage.Load(NativeFiles.HostLibStdCxx).VersionDefinitions()).Action == LibStdCxxAction.LoadAsIs
            ? nameof(NativeLoadOutcome.LoadedAsShipped)
            : nameof(NativeLoadOutcome.LoadedWeakenedCopy);

    /// <summary>The shipped library with the GCC 13 marker need already weak: what a host with a new libstdc++ would load as it is.</summary>
    private static byte[] WeakenedLibTorchSharp()
    {
        var image = ElfImage.Load(NativeFiles.LibTorchSharp);
        return image.WithWeakNeeds(image.VersionNeeds().Where(need => need.Version == "GLIBCXX_3.4.32"));
    }

    private (HostRun Run, string Backend, string Library) RunApp(byte[] shipped, bool withBackend)
    {
        string app = layouts.App(shipped, withBackend);
        string native = Path.Combine(app, "runtimes", Rid, "native");
        return (layouts.Run(Path.Combine(app, "NativeLoadHost.dll")), native, Path.Combine(native, "libLibTorchSharp.so"));
    }

    private (HostRun Run, string Backend, string Library) RunPackages(byte[]? shipped, params string[] backendPackages)
    {
        string root = layouts.Packages(shipped, backendPackages);
        var run = layouts.Run(layouts.AppWithoutTorchSharp, "--torchsharp-from", Layouts.TorchSharpLib(root));
        return (run,
                Path.Combine(root, $"libtorch-cpu-{Rid}", Layouts.LibTorchVersion, "runtimes", Rid, "native"),
                Path.Combine(root, "torchsharp", Layouts.TorchSharpVersion, "runtimes", Rid, "native", "libLibTorchSharp.so"));
    }

    /// <summary>
    /// The process mapped exactly the files Interop says it loaded, libc10, libtorch_cpu and libtorch among them, in that
    /// order, all from <paramref name="backendFolder"/>; nothing from the foreign folder; and LogSum gave this process's numbers.
    /// </summary>
    private void AssertRanOnPackageLibTorch(HostRun run, string backendFolder)
    {
        Assert.True(run.Result is not null, $"the load failed: {run}");
        Assert.Equal(["libc10.so", "libtorch_cpu.so", "libtorch.so"],
            run.Loaded.Select(Path.GetFileName).Where(name => TorchSharpNativeFiles.IsLibTorchLibrary(name!)));
        string real = ProcessMaps.RealPath(backendFolder);
        Assert.All(run.Loaded.SkipLast(1), file => Assert.Equal(real, ProcessMaps.RealPath(Path.GetDirectoryName(file)!)));
        Assert.Equal(run.Loaded.Select(ProcessMaps.RealPath).Order(), run.Mapped.Order());
        Assert.DoesNotContain(run.Mapped, file => file.StartsWith(layouts.Foreign, StringComparison.Ordinal));
        Assert.Equal(ExpectedResult(), run.Result);
    }

    /// <summary>The same forward and backward as NativeLoadHost, in this process.</summary>
    private static string ExpectedResult()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.5, 1.0, 2.0 }).requires_grad_();
        var y = LogSumFunction.apply(x, tensor(1.5));
        y.backward();
        return $"{y.ToDouble():R} {x.grad!.data<double>()[0]:R}";
    }

    /// <summary>What NativeLoadHost printed.</summary>
    public sealed record HostRun(string? Outcome, string Message, IReadOnlyList<string> Loaded, string? Result, IReadOnlyList<string> Mapped, string? PreloadFailure)
    {
        public static HostRun Parse(string output)
        {
            var lines = output.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
            string? Value(string key) => lines.FirstOrDefault(line => line.StartsWith(key + " ", StringComparison.Ordinal))?[(key.Length + 1)..];
            List<string> Values(string key) => lines.Where(line => line.StartsWith(key + " ", StringComparison.Ordinal)).Select(line => line[(key.Length + 1)..]).ToList();
            return new HostRun(Value("outcome"), Value("message") ?? "", Values("loaded"), Value("result"), Values("mapped"), Value("preload-failed"));
        }

        public override string ToString() =>
            $"outcome {Outcome}\nmessage {Message}\n{string.Concat(Loaded.Select(file => $"loaded {file}\n"))}result {Result}\n{string.Concat(Mapped.Select(file => $"mapped {file}\n"))}";
    }

    /// <summary>
    /// Folders laid out as applications and the NuGet packages folder are, made of symbolic links to the host's build
    /// output, in one temporary folder removed at the end; and the foreign libtorch.
    /// </summary>
    public sealed class Layouts : IDisposable
    {
        public static string Host { get; } = ChildProcess.BuiltDll(Path.Combine("Interop.Tests", "Native", "NativeLoadHost"), "NativeLoadHost");

        public static string HostNative { get; } = Path.Combine(Path.GetDirectoryName(Host)!, "runtimes", Rid, "native");

        public static string NuGetRoot { get; } = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        public static string TorchSharpVersion { get; } =
            typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

        /// <summary>libtorch's version as NuGet names its folder: 2.10.0.0 → 2.10.0.</summary>
        public static string LibTorchVersion { get; } = __version__.EndsWith(".0", StringComparison.Ordinal) && __version__.Count(c => c == '.') == 3
            ? __version__[..^2]
            : __version__;

        private readonly string _root = Path.Combine(Path.GetTempPath(), $"interop-native-layouts-{Guid.NewGuid():N}");
        private readonly Lazy<string> _appWithoutTorchSharp;
        private int _next;

        public Layouts()
        {
            Foreign = ProcessMaps.RealPath(Directory.CreateDirectory(Path.Combine(_root, "foreign")).FullName);
            string unrelated = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.IO.Compression.Native.so");
            foreach (string name in new[] { "libtorch.so", "libc10.so", "libtorch_cpu.so" })
                File.Copy(unrelated, Path.Combine(Foreign, name));
            _appWithoutTorchSharp = new(() => NewAppWithoutTorchSharp());
        }

        /// <summary>The foreign libtorch: copies of .NET's compression library under libtorch's names.</summary>
        public string Foreign { get; }

        /// <summary>The host's program without TorchSharp.dll and without its deps.json, as a kernel that loads TorchSharp from elsewhere.</summary>
        public string AppWithoutTorchSharp => _appWithoutTorchSharp.Value;

        public static string TorchSharpLib(string packagesRoot) => Path.Combine(packagesRoot, "torchsharp", TorchSharpVersion, "lib", "net8.0");

        /// <summary>Runs NativeLoadHost (or a copy) with the foreign libtorch first on LD_LIBRARY_PATH.</summary>
        public HostRun Run(string dll, params string[] arguments) => Run(dll, new Dictionary<string, string>(), arguments);

        public HostRun Run(string dll, IReadOnlyDictionary<string, string> environment, params string[] arguments)
        {
            var withForeign = new Dictionary<string, string>(environment) { ["LD_LIBRARY_PATH"] = Foreign };
            return HostRun.Parse(ChildProcess.RunWithEnvironment(dll, Timeout, withForeign, arguments).Output);
        }

        /// <summary>
        /// An output folder like the host's, with this <c>libLibTorchSharp.so</c>; with the backend's libraries and the
        /// deps.json that lists them, or, as an application that references TorchSharp but no backend, with neither.
        /// </summary>
        public string App(byte[] libTorchSharp, bool withBackend)
        {
            string app = NewFolder("app");
            CopyHostProgram(app);
            foreach (string file in Directory.EnumerateFiles(Path.GetDirectoryName(Host)!).Where(file => !IsHostProgram(file) && (withBackend || !file.EndsWith(".deps.json", StringComparison.Ordinal))))
                File.CreateSymbolicLink(Path.Combine(app, Path.GetFileName(file)), file);
            string native = Directory.CreateDirectory(Path.Combine(app, "runtimes", Rid, "native")).FullName;
            if (withBackend)
                LinkBackend(native);
            File.WriteAllBytes(Path.Combine(native, "libLibTorchSharp.so"), libTorchSharp);
            return app;
        }

        /// <summary>
        /// A NuGet packages folder holding TorchSharp (with this <c>libLibTorchSharp.so</c>, or the shipped one) and each of
        /// <paramref name="backendPackages"/> at libtorch's version, made of the host's backend libraries.
        /// </summary>
        public string Packages(byte[]? shipped, params string[] backendPackages)
        {
            string root = NewFolder("packages");
            string lib = Directory.CreateDirectory(TorchSharpLib(root)).FullName;
            File.CreateSymbolicLink(Path.Combine(lib, "TorchSharp.dll"), Path.Combine(Path.GetDirectoryName(Host)!, "TorchSharp.dll"));
            string native = Directory.CreateDirectory(Path.Combine(root, "torchsharp", TorchSharpVersion, "runtimes", Rid, "native")).FullName;
            string library = Path.Combine(native, "libLibTorchSharp.so");
            if (shipped is null)
                File.CreateSymbolicLink(library, Path.Combine(HostNative, "libLibTorchSharp.so"));
            else
                File.WriteAllBytes(library, shipped);
            foreach (string package in backendPackages)
                LinkBackend(Directory.CreateDirectory(Path.Combine(root, package, LibTorchVersion, "runtimes", Rid, "native")).FullName);
            return root;
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);

        private string NewAppWithoutTorchSharp()
        {
            string app = NewFolder("kernel");
            CopyHostProgram(app);
            foreach (string dll in Directory.EnumerateFiles(Path.GetDirectoryName(Host)!, "*.dll").Where(file => !IsHostProgram(file) && Path.GetFileName(file) != "TorchSharp.dll"))
                File.CreateSymbolicLink(Path.Combine(app, Path.GetFileName(dll)), dll);
            return Path.Combine(app, "NativeLoadHost.dll");
        }

        /// <summary>The program itself is copied, not linked: the .NET host resolves the program's path and would run it from the original folder.</summary>
        private static void CopyHostProgram(string app)
        {
            foreach (string file in new[] { Host, Path.ChangeExtension(Host, ".runtimeconfig.json") })
                File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        private static bool IsHostProgram(string file) => Path.GetFileName(file) is "NativeLoadHost.dll" or "NativeLoadHost.runtimeconfig.json";

        private static void LinkBackend(string folder)
        {
            foreach (string file in Directory.EnumerateFiles(HostNative).Where(file => Path.GetFileName(file) != "libLibTorchSharp.so"))
                File.CreateSymbolicLink(Path.Combine(folder, Path.GetFileName(file)), file);
        }

        private string NewFolder(string kind) => Directory.CreateDirectory(Path.Combine(_root, $"{kind}-{Interlocked.Increment(ref _next)}")).FullName;
    }
}
