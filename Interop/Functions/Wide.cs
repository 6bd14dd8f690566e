using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// A float32 sum computed in float64 and rounded once; float64 tensors pass through untouched.
/// </summary>
/// <remarks>
/// A product of two floats is exact in float64, so a sum of such products there keeps every digit that cancellation
/// would cost in float32: ComponentScaling's ∂E/∂K sums g_j x_j over the rows, and three rows of mixed signs lost
/// 222 ulps in float32. Each widening costs a cast (as much as any other libtorch call at small sizes), so it is used
/// only where the sum runs over a batch.
/// </remarks>
internal static class Wide
{
    /// <summary>The tensor in float64 if it is float32 (a new tensor, differentiable), otherwise itself.</summary>
    public static Tensor Of(Tensor t) => t.dtype == ScalarType.Float32 ? t.to(ScalarType.Float64) : t;

    /// <summary>The result rounded to <paramref name="like"/>'s dtype (differentiable), or itself if it has that dtype.</summary>
    public static Tensor As(Tensor result, Tensor like) => result.dtype == like.dtype ? result : result.to(like.dtype);
}
