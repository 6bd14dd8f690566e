using Interop.Reference;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>The built-in-autograd implementation that a map's hand-written Function is compared with, to float64 rounding.</summary>
public static class ReferenceTwin
{
    /// <summary>The map's twin (<see cref="ModuleMap.Twin"/>); for LogSum, the twin evaluated on centred input.</summary>
    public static Func<Tensor, Tensor, Tensor> For(ModuleMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map == ModuleMap.LogSum ? CenteredLogSum : map.Twin;
    }

    /// <summary>
    /// Autograd of the plain LogSum twin forms ∂y/∂β as L/β² + (Σ_j p_j x_j)/β, two terms that cancel, so about four
    /// of its digits are rounding error (for x of one element, where ∂y/∂β is exactly 0, it returns about 1e-16).
    /// LogSum is shift-equivariant, LogSum(x) = LogSum(x − c) + c for any c that depends on neither x nor β, so the same
    /// twin applied to x centred on its detached soft minimum has the same value and the same derivatives of every
    /// order, with no cancellation: every term of Σ_j p_j (x_j − c) has one sign.
    /// </summary>
    private static Tensor CenteredLogSum(Tensor x, Tensor beta)
    {
        Tensor center;
        using (no_grad())
            center = AutogradTwins.log_sum(x, beta).unsqueeze(-1);
        return AutogradTwins.log_sum(x - center, beta).add(center.squeeze(-1), HeldScalars.One);
    }
}
