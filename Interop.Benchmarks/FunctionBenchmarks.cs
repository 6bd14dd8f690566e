using BenchmarkDotNet.Attributes;
using Interop.Reference;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// Every module × input size × {hand-written, twin} × {1 thread, libtorch's default}, forward only and
/// forward+backward, in float32 (the modules' default dtype).
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class FunctionBenchmarks
{
    /// <summary>libtorch's own choice of intra-op threads, read before any benchmark changes it.</summary>
    public static readonly int DefaultThreads = get_num_threads();

    private Workload workload = null!;

    /// <summary>The module's name, as in <see cref="ModuleMap.All"/>.</summary>
    [ParamsSource(nameof(Modules), Priority = -1)]
    public string Module { get; set; } = "";

    /// <summary>The shape of x, as 8, 4096 or 256x1024.</summary>
    [Params("8", "4096", "256x1024", "1000x1000")]
    public string Size { get; set; } = "";

    /// <summary>Hand-written Function or autograd twin.</summary>
    [Params(Implementation.HandWritten, Implementation.Twin)]
    public Implementation Implementation { get; set; }

    /// <summary>"1", or "default" for libtorch's default intra-op thread count.</summary>
    [Params("1", "default")]
    public string Threads { get; set; } = "";

    /// <summary>The five modules' names.</summary>
    public static IEnumerable<string> Modules => ModuleMap.All.Select(m => m.Name);

    /// <summary>Sets the thread count and builds the inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(Threads == "default" ? DefaultThreads : int.Parse(Threads));
        workload = new Workload(ModuleMap.All.Single(m => m.Name == Module), Workload.ParseShape(Size));
    }

    /// <summary>Releases the inputs.</summary>
    [GlobalCleanup]
    public void Cleanup() => workload.Dispose();

    /// <summary>y = map(x, parameter), recording the graph.</summary>
    [Benchmark]
    public void Forward() => workload.Forward(Implementation);

    /// <summary>Forward, then the gradients with respect to x and the parameter.</summary>
    [Benchmark]
    public void ForwardBackward() => workload.ForwardBackward(Implementation);
}
