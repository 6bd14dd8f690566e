namespace Interop.Benchmarks;

/// <summary>Forward+backward through a <see cref="PassThrough"/> on one input, counted by <see cref="InstructionCounter"/>.</summary>
/// <param name="PassThrough">The pass-through's name.</param>
/// <param name="Shape">The shape of x.</param>
/// <param name="Count">One call.</param>
public sealed record PassThroughInstructions(string PassThrough, long[] Shape, InstructionCount Count);
