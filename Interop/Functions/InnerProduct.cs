using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Σ_i a_i b_i over every element of two tensors of the same shape, the reduction behind each scalar parameter's
/// gradient (∂E/∂β, ∂E/∂k). One BLAS dot reads a and b once; <c>(a * b).sum()</c> would also write and read back a
/// temporary the size of both. It is differentiable like any other operation, so the same code serves backward
/// with and without create_graph.
/// </summary>
/// <remarks>
/// The dot is reached through <c>matmul</c> of two vectors, which libtorch sends to the same kernel: TorchSharp's
/// <c>dot</c> first reads both shapes into managed arrays, which costs more than the whole product at small sizes.
/// </remarks>
internal static class InnerProduct
{
    public static Tensor Of(Tensor a, Tensor b) => Flat(a).matmul(Flat(b));

    private static Tensor Flat(Tensor t) => t.dim() == 1 ? t : t.reshape(-1);
}
