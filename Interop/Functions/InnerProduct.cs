using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Σ_i a_i b_i over every element of two tensors of the same shape, the reduction behind each scalar parameter's
/// gradient (∂E/∂β, ∂E/∂k), with the same bits whatever the memory layout of a and b. The sum is accumulated in
/// float64 and returned in float64 (the caller rounds it to the parameter's dtype): a float32 sum of a few dozen
/// terms of mixed signs loses more than the 4 ulps that float32 gradients are allowed.
/// </summary>
/// <remarks>
/// The product is formed into a new tensor, which libtorch's allocator aligns the same way on every call, and summed
/// there: the sum's blocking, and so its rounding, depends only on the shape. A BLAS dot of a and b in place (one
/// pass, no temporary) peels its vector loop by the address of the operands, and its result moved by 1 to 4 ulps with
/// the storage offset of the inputs (issue 11). It is differentiable like any other operation, so the same code
/// serves backward with and without create_graph.
/// </remarks>
internal static class InnerProduct
{
    public static Tensor Of(Tensor a, Tensor b) => a.mul(b).sum(ScalarType.Float64);
}
