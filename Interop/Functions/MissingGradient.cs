using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Backward without a gradient for the output, as when the next Function gives none. TorchSharp would make zeros for
/// it ("materialise" it) from an uninitialised output-sized tensor that it keeps in the caller's dispose scope; when
/// that scope has ended before backward runs, making them fails inside the autograd engine, which ends the process.
/// So each Function's forward turns materialising off (<c>ctx.set_materialize_grads(false)</c>) and its backward
/// answers an invalid <c>grad_output</c> with <see cref="None"/>.
/// </summary>
internal static class MissingGradient
{
    /// <summary>No gradient for x nor for the parameter, which autograd reads as zero.</summary>
    public static List<Tensor> None => [null!, null!];
}
