using Interop.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>Which side of a module runs: its hand-written Function or its autograd twin.</summary>
public enum Implementation
{
    /// <summary>The autograd Function with the hand-written backward (<see cref="ModuleMap.Function"/>).</summary>
    HandWritten,

    /// <summary>The same map from built-in operations, differentiated by autograd (<see cref="ModuleMap.Twin"/>).</summary>
    Twin,
}

/// <summary>
/// One module on one input: x and the parameter as leaves that require grad (as in training, where both are
/// learned), a fixed upstream gradient g = ∂E/∂y, and the passes that the benchmarks time. Both implementations run
/// on the same tensors. Gradients are taken with <c>autograd.grad</c>, so nothing accumulates into <c>.grad</c>.
/// </summary>
public sealed class Workload : IDisposable
{
    /// <summary>Builds seeded random inputs for <paramref name="module"/> with x of shape <paramref name="shape"/>.</summary>
    public Workload(ModuleMap module, long[] shape, ScalarType dtype = ScalarType.Float32, ulong seed = 1)
    {
        using var scope = NewDisposeScope();
        Module = module;
        Shape = shape;
        var generator = new Generator(seed);
        X = randn(shape, dtype, generator: generator).requires_grad_().DetachFromDisposeScope();
        Parameter = module.MakeParameter(1.3, shape.Length == 0 ? 1 : shape[^1], dtype).requires_grad_().DetachFromDisposeScope();
        using (no_grad())
            Upstream = randn(module.Twin(X, Parameter).shape, dtype, generator: generator).DetachFromDisposeScope();
    }

    /// <summary>The module being measured.</summary>
    public ModuleMap Module { get; }

    /// <summary>The shape of x.</summary>
    public long[] Shape { get; }

    /// <summary>The input, a leaf that requires grad.</summary>
    public Tensor X { get; }

    /// <summary>β, k or K, a leaf that requires grad.</summary>
    public Tensor Parameter { get; }

    /// <summary>g = ∂E/∂y, shaped like the output.</summary>
    public Tensor Upstream { get; }

    /// <summary>
    /// The bytes that any implementation must move at least: forward reads x and writes y; backward reads g and x
    /// and writes ∂E/∂x; the parameter is read twice and its gradient written once.
    /// </summary>
    public long NecessaryBytes => 3 * Bytes(X) + 2 * Bytes(Upstream) + 3 * Bytes(Parameter);

    /// <summary>y = map(x, parameter), recording the graph as training does, then released.</summary>
    public void Forward(Implementation implementation)
    {
        using var _ = NewDisposeScope();
        Map(implementation)(X, Parameter);
    }

    /// <summary>y = map(x, parameter) and the gradients of ⟨g, y⟩ with respect to x and the parameter.</summary>
    public void ForwardBackward(Implementation implementation)
    {
        using var _ = NewDisposeScope();
        var y = Map(implementation)(X, Parameter);
        autograd.grad([y], [X, Parameter], [Upstream]);
    }

    /// <summary>
    /// Forward+backward through <paramref name="passThrough"/> on x: the fixed cost of its kind of graph node, the
    /// yardstick for how close to the floor the hand-written Functions get at small inputs.
    /// </summary>
    public void PassThrough(PassThrough passThrough)
    {
        using var _ = NewDisposeScope();
        var y = passThrough.Apply(X);
        autograd.grad([y], [X], [y]); // any g of x's shape will do, and y costs nothing to make
    }

    /// <summary>A copy of x: the memory-bound yardstick for effective bandwidth.</summary>
    public void Clone()
    {
        using var _ = NewDisposeScope();
        using var noGrad = no_grad();
        X.clone();
    }

    /// <summary>
    /// The native bytes that forward leaves allocated for backward, beyond x, the parameter and y, both ways of
    /// counting them (see <see cref="HeldBytes"/>), each the median of five forwards: libtorch's worker threads can
    /// free scratch memory while one is measured. Null where <see cref="NativeHeap"/> cannot measure.
    /// </summary>
    public HeldBytes? HeldForBackward(Implementation implementation) =>
        NativeHeap.IsAvailable
            ? new(MedianBytesHeld(implementation, releaseTemporaries: true), MedianBytesHeld(implementation, releaseTemporaries: false))
            : null;

    private long MedianBytesHeld(Implementation implementation, bool releaseTemporaries) =>
        Enumerable.Range(0, 5).Select(_ => BytesHeld(implementation, releaseTemporaries)).Order().ElementAt(2);

    private long BytesHeld(Implementation implementation, bool releaseTemporaries)
    {
        using var _ = NewDisposeScope();
        Forward(implementation); // lets lazily initialised native state settle before the measurement
        // Tensors that nobody disposed are freed by the finalizer thread; let it finish so it cannot free memory
        // in the middle of the measurement.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = NativeHeap.BytesInUse();
        Tensor y;
        long held;
        using (var step = NewDisposeScope())
        {
            y = Map(implementation)(X, Parameter).MoveToOuterDisposeScope();
            held = NativeHeap.BytesInUse() - before - Bytes(y);
        }
        return releaseTemporaries ? NativeHeap.BytesInUse() - before - Bytes(y) : held;
    }

    /// <summary>Releases x, the parameter and g.</summary>
    public void Dispose()
    {
        X.Dispose();
        Parameter.Dispose();
        Upstream.Dispose();
    }

    /// <summary>Reads "8", "4096" or "256x1024" as a shape.</summary>
    public static long[] ParseShape(string text) => text.Split('x').Select(long.Parse).ToArray();

    /// <summary>Writes a shape as [256, 1024].</summary>
    public static string FormatShape(long[] shape) => $"[{string.Join(", ", shape)}]";

    private Func<Tensor, Tensor, Tensor> Map(Implementation implementation) =>
        implementation == Implementation.HandWritten ? Module.Function : Module.Twin;

    private static long Bytes(Tensor tensor) => tensor.numel() * tensor.ElementSize;
}
