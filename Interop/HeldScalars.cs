using TorchSharp;

namespace Interop;

/// <summary>
/// The constant Scalars Interop passes to libtorch, made once and held for the life of the process.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns a number passed where libtorch takes a Scalar (and some of its own methods do so inside,
/// <c>Tensor + Tensor</c> for α = 1, <c>square()</c> for the exponent 2) into a new <see cref="Scalar"/> whose
/// finalizer frees the native value, and nothing keeps that object alive during the native call it was made for. A
/// garbage collection on another thread in that window frees the value while libtorch reads it: CI saw it once as an
/// optimizer step failing with "Expected false to be true" from c10's <c>Scalar::toFloat</c>, and it could as well be
/// a wrong number, silently. Interop therefore holds every Scalar it passes: constants here, other values in a
/// <c>using</c> around the calls that read them (Interop.Tests' ScalarLifetimeTests reads the sources for any other).
/// A static field's Scalar is never collected, and libtorch only reads it, from any thread.
/// </remarks>
internal static class HeldScalars
{
    public static readonly Scalar Zero = 0.ToScalar();

    public static readonly Scalar One = 1.ToScalar();
}
