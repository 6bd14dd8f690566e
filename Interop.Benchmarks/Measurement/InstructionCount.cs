namespace Interop.Benchmarks;

/// <summary>
/// What one call of a forward+backward costs in instructions (all threads, from <see cref="Callgrind"/>) and in
/// managed bytes allocated, as <see cref="InstructionCounter"/> measures it.
/// </summary>
/// <param name="Instructions">Instructions per call: the median over the pairs of blocks.</param>
/// <param name="Lowest">The lowest of the pairs' figures.</param>
/// <param name="Highest">The highest of the pairs' figures.</param>
/// <param name="ByPlace">
/// The median pair's instructions per call by where they ran (<see cref="CallgrindDump.Places"/>, self cost); they add
/// up to <paramref name="Instructions"/>.
/// </param>
/// <param name="Collection">
/// Of <paramref name="Instructions"/>, those of the median pair's collections (and finalizers) after the calls: the
/// cost of collecting what a call leaves, included in <paramref name="ByPlace"/> (mostly coreclr).
/// </param>
/// <param name="AllocatedBytes">
/// Managed bytes allocated per call on the calling thread (<c>GC.GetAllocatedBytesForCurrentThread</c>) in the median
/// pair, the finalizer thread's allocations not included.
/// </param>
/// <param name="Calls">The calls in a longer block; a shorter one has a fifth of them.</param>
/// <param name="Pairs">How many pairs of blocks were counted.</param>
public sealed record InstructionCount(
    double Instructions, double Lowest, double Highest, IReadOnlyDictionary<string, double> ByPlace, double Collection, double AllocatedBytes, int Calls, int Pairs);
