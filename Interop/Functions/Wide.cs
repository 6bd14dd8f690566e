using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// float32 inputs computed in float64 and rounded once at the end; float64 tensors pass through untouched.
/// </summary>
/// <remarks>
/// A product of two floats is exact in float64, and so is their difference unless their exponents are 29 apart.
/// Computed in float32, z = −β x carries a rounding of 2^−24 |z| that exp turns into a relative error of the same
/// size: 80 ulps at |z| = 80. Sums with cancellation (g_j − Σ g y in Softmax, the batch sums of ∂E/∂K) lose as many
/// float32 digits as they cancel. In float64 both stay far below float32's last digit, so the rounded result is within
/// one ulp of the exact one. β and the other 0-d operands stay float32: libtorch computes a float64 tensor with a 0-d
/// float32 one in float64.
/// </remarks>
internal static class Wide
{
    /// <summary>The tensor in float64 if it is float32 (a new tensor, differentiable), otherwise itself.</summary>
    public static Tensor Of(Tensor t) => t.dtype == ScalarType.Float32 ? t.to(ScalarType.Float64) : t;

    /// <summary>The result rounded to <paramref name="like"/>'s dtype (differentiable), or itself if it has that dtype.</summary>
    public static Tensor As(Tensor result, Tensor like) => result.dtype == like.dtype ? result : result.to(like.dtype);

    /// <summary>
    /// For recording: a tensor with the value of <paramref name="wide"/>, forward's float64 result, whose derivative is
    /// that of <paramref name="output"/>, its rounding that the graph knows (for float64, the output itself).
    /// </summary>
    public static Tensor Recorded(Tensor output, Tensor wide)
    {
        if (output.dtype == wide.dtype)
            return output;
        var widened = output.to(wide.dtype);
        // wide − widened is exact (they are within a float32 ulp), and so is adding it back.
        return widened + (wide - widened).detach();
    }
}
