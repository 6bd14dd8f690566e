using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Fused libtorch kernels that TorchSharp does not bind, reached through a TorchScript function compiled once that
/// calls them by name. Autograd runs these kernels for its own backward passes; calling them directly lets a
/// hand-written backward do the same work in one pass where the math is the same.
/// </summary>
/// <remarks>
/// The names are libtorch's internal operators, so a libtorch that renamed one would fail to compile the script on
/// first use; the Functions' tests run every kernel here.
/// </remarks>
internal static class BuiltInKernels
{
    private static readonly Lazy<jit.CompilationUnit> Script = new(() => jit.compile("""
        def softmax_backward_data(grad_output: Tensor, output: Tensor) -> Tensor:
            return torch._softmax_backward_data(grad_output, output, -1, output.dtype)

        """));

    /// <summary>
    /// For y = softmax(z) over the last dimension and g = ∂E/∂y: ∂E/∂z_j = y_j (g_j − Σ_i g_i y_i), row by row in a
    /// single pass (libtorch's <c>_softmax_backward_data</c>). The result is a new tensor.
    /// </summary>
    public static Tensor SoftmaxBackwardData(Tensor grad_output, Tensor output) =>
        Script.Value.invoke<Tensor>("softmax_backward_data", grad_output, output);
}
