namespace Interop.Benchmarks;

/// <summary>
/// What one call of a forward+backward costs in instructions (all threads, from <see cref="Callgrind"/>) and in
/// managed bytes allocated, as <see cref="InstructionCounter"/> measures it.
/// </summary>
/// <param name="Instructions">Instructions per call: the median over the pairs of blocks.</param>
/// <param name="Lowest">The lowest of the pairs' figures.</param>
/// <param name="Highest">The highest of the pairs' figures.</param>
/// <param name="AllocatedBytes">
/// Managed bytes allocated per call on the calling thread (<c>GC.GetAllocatedBytesForCurrentThread</c>), the
/// finalizer thread's allocations not included.
/// </param>
/// <param name="Calls">The calls in a longer block; a shorter one has a fifth of them.</param>
/// <param name="Pairs">How many pairs of blocks were counted.</param>
public sealed record InstructionCount(double Instructions, double Lowest, double Highest, double AllocatedBytes, int Calls, int Pairs);
