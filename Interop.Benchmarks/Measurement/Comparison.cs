namespace Interop.Benchmarks;

/// <summary>
/// A module's hand-written Function against its autograd twin on one input, forward+backward, from runs that
/// alternate in one process (see <see cref="InterleavedTimer"/>), with a clone of x timed alongside for scale.
/// </summary>
/// <param name="Module">The module's name.</param>
/// <param name="Shape">The shape of x.</param>
/// <param name="Threads">libtorch's intra-op thread count during the runs.</param>
/// <param name="HandWrittenMicroseconds">Median time of one hand-written forward+backward.</param>
/// <param name="TwinMicroseconds">Median time of one twin forward+backward.</param>
/// <param name="PassThroughMicroseconds">Median time of one forward+backward through <see cref="PassThrough.Floor"/>: the floor.</param>
/// <param name="CloneMicroseconds">Median time of one copy of x.</param>
/// <param name="InputBytes">The size of x in bytes.</param>
/// <param name="NecessaryBytes">Bytes that forward+backward must read and write at least (see <see cref="Workload.NecessaryBytes"/>).</param>
/// <param name="HandWrittenHeld">Native bytes held for backward by the hand-written Function, or null if not measured (see <see cref="Workload.HeldForBackward"/>).</param>
/// <param name="TwinHeld">The same for the twin.</param>
public sealed record Comparison(
    string Module,
    long[] Shape,
    int Threads,
    double HandWrittenMicroseconds,
    double TwinMicroseconds,
    double PassThroughMicroseconds,
    double CloneMicroseconds,
    long InputBytes,
    long NecessaryBytes,
    HeldBytes? HandWrittenHeld,
    HeldBytes? TwinHeld)
{
    /// <summary>Hand-written time over twin time: below 1 the hand-written backward is faster.</summary>
    public double Ratio => HandWrittenMicroseconds / TwinMicroseconds;

    /// <summary>
    /// The pass-through Function's time over the twin's: the ratio that no hand-written Function can go below, since
    /// it pays that fixed cost before doing any arithmetic.
    /// </summary>
    public double FloorRatio => PassThroughMicroseconds / TwinMicroseconds;

    /// <summary>
    /// The hand-written forward+backward's effective bandwidth (necessary bytes over its time) as a fraction of
    /// clone's (x read and written over its time).
    /// </summary>
    public double BandwidthFractionOfClone => NecessaryBytes / HandWrittenMicroseconds / (2.0 * InputBytes / CloneMicroseconds);
}
