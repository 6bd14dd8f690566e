namespace Interop.Benchmarks;

/// <summary>
/// The native bytes that stay allocated after forward, until backward, beyond x, the parameter and y themselves
/// (measured by <see cref="Workload.HeldForBackward"/>).
/// </summary>
/// <param name="ByGraph">What the graph holds once forward's temporaries are released, as Python releases them.</param>
/// <param name="InScope">
/// What a TorchSharp training step holds when, as usual, one dispose scope spans forward and backward: forward's
/// temporaries, TorchSharp's own included, live until that scope ends.
/// </param>
public sealed record HeldBytes(long ByGraph, long InScope);
