namespace Interop.Benchmarks;

/// <summary>
/// A module's hand-written Function against its autograd twin on one input, forward+backward, counted by
/// <see cref="InstructionCounter"/>.
/// </summary>
/// <param name="Module">The module's name.</param>
/// <param name="Shape">The shape of x.</param>
/// <param name="HandWritten">One call of the hand-written Function (<see cref="Interop.Reference.ModuleMap.Function"/>).</param>
/// <param name="Twin">One call of the twin.</param>
public sealed record InstructionComparison(string Module, long[] Shape, InstructionCount HandWritten, InstructionCount Twin)
{
    /// <summary>Hand-written instructions over twin instructions: below 1 the hand-written backward does less work.</summary>
    public double Ratio => HandWritten.Instructions / Twin.Instructions;
}
