using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Σ_i a_i b_i over every element of two tensors of the same shape, the reduction behind each scalar parameter's
/// gradient (∂E/∂β, ∂E/∂k). One BLAS dot reads a and b once; <c>(a * b).sum()</c> would also write and read back a
/// temporary the size of both. It is differentiable like any other operation, so the same code serves backward
/// with and without create_graph.
/// </summary>
internal static class InnerProduct
{
    public static Tensor Of(Tensor a, Tensor b) => a.reshape(-1).dot(b.reshape(-1));
}
