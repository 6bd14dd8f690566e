using Interop.Reference;
using static TorchSharp.torch;

namespace Interop.Tests.Support;

/// <summary>The autograd twin to compare a hand-written Function with, at the tests' 1e-12 tolerance.</summary>
internal static class ReferenceTwin
{
    /// <summary>The map's twin; for LogSum, the twin evaluated on centred input (see <see cref="CenteredLogSum"/>).</summary>
    public static Func<Tensor, Tensor, Tensor> For(ModuleMap map) => map == ModuleMap.LogSum ? CenteredLogSum : map.Twin;

    /// <summary>
    /// Autograd of the plain LogSum twin forms ∂y/∂β as L/β² + (Σ_j p_j x_j)/β, two terms that cancel, so its own
    /// rounding error is large relative to the result (for x of one element, where ∂y/∂β is exactly 0, it returns
    /// about 1e-16). LogSum is shift-equivariant, LogSum(x) = LogSum(x − c) + c for any c that does not depend on x
    /// or β, so the same twin applied to x centred on its (detached) soft minimum gives the same value with no
    /// cancellation: every term of Σ_j p_j (x_j − c) has one sign. That is the reference at 1e-12.
    /// </summary>
    private static Tensor CenteredLogSum(Tensor x, Tensor beta)
    {
        Tensor center;
        using (no_grad())
            center = AutogradTwins.log_sum(x, beta).unsqueeze(-1);
        return AutogradTwins.log_sum(x - center, beta) + center.squeeze(-1);
    }
}
