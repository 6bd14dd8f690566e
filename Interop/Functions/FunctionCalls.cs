using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// How the Functions are called, so that a training step holds no more memory than autograd of the same map.
/// TorchSharp's Function machinery makes, on every call, an uninitialised tensor the size of the output in the
/// caller's dispose scope, kept to build zeros should backward run without a gradient for the output ("materialised"
/// gradients). The Functions turn that off in forward (<c>ctx.set_materialize_grads(false)</c>), answer a missing
/// gradient with <see cref="NoGradients"/>, and release the buffer as soon as forward returns (<see cref="Apply"/>).
/// </summary>
internal static class FunctionCalls
{
    /// <summary>Runs a Function's <c>apply_internal</c> in a dispose scope of its own and keeps only the output.</summary>
    public static Tensor Apply(Func<List<Tensor>> applyInternal)
    {
        using var scope = NewDisposeScope();
        return applyInternal()[0].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Backward's answer when no gradient reached the output (an invalid <c>grad_output</c>): none reaches x or the
    /// parameter either, which autograd reads as zero.
    /// </summary>
    public static List<Tensor> NoGradients => [null!, null!];
}
