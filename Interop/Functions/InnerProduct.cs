using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Σ_i a_i b_i over every element of two tensors of the same shape, the reduction behind each scalar parameter's
/// gradient (∂E/∂β, ∂E/∂k), with the same bits whatever the memory layout of a and b. Both are differentiable like
/// any other operation, so the same code serves backward with and without create_graph.
/// </summary>
/// <remarks>
/// A BLAS dot reads a and b once and makes no temporary, but peels its vector loop by the operands' addresses: with
/// the inputs at different storage offsets its result moved by 1 to 4 ulps (issue 11). libtorch's allocator aligns
/// every tensor it makes the same way, so a dot of two tensors made by the Function itself has the same bits on every
/// call (<see cref="OfFresh"/>); where an operand is the caller's, the product is formed into a new tensor and summed
/// there (<see cref="Of"/>), and the sum's blocking then depends only on the shape.
/// </remarks>
internal static class InnerProduct
{
    /// <summary>For operands of which one may be the caller's tensor.</summary>
    public static Tensor Of(Tensor a, Tensor b) => a.mul(b).sum();

    /// <summary>For operands that the Function made itself in this call or its forward: one dot, no temporary.</summary>
    /// <remarks>
    /// The dot is reached through <c>matmul</c> of two vectors, which libtorch sends to the same kernel: TorchSharp's
    /// <c>dot</c> first reads both shapes into managed arrays, which costs more than the whole product at small sizes.
    /// </remarks>
    public static Tensor OfFresh(Tensor a, Tensor b) => Flat(a).matmul(Flat(b));

    private static Tensor Flat(Tensor t) => t.dim() == 1 ? t : t.reshape(-1);
}
