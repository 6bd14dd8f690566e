using TorchSharp;

namespace Interop.ML;

/// <summary>
/// The constant Scalars Interop.ML passes to libtorch, made once and held for the life of the process; other values
/// are held in a <c>using</c> around the calls that read them. Why: TorchSharp 0.107 leaves a Scalar made from a
/// number unreachable during the native call that reads it, so that a garbage collection can free it there (the
/// remarks of Interop's own HeldScalars, and <see cref="GradientStep"/>).
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar Zero = 0.ToScalar();

    public static readonly Scalar One = 1.ToScalar();

    public static readonly Scalar Two = 2.ToScalar();
}
