using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Reference;

/// <summary>
/// The five maps written the way a PyTorch user would write them, from built-in TorchSharp operations only, so
/// that autograd (not a hand-written backward) differentiates them. They are the baseline that the hand-written
/// Functions are validated and benchmarked against. They do no argument checking beyond TorchSharp's own.
/// </summary>
public static class AutogradTwins
{
    /// <summary>y = exp(−β x), element-wise.</summary>
    public static Tensor exponential(Tensor x, Tensor beta) => torch.exp(-beta * x);

    /// <summary>y_i = k_i x_i along the last dimension; <paramref name="k"/> has shape [N].</summary>
    public static Tensor component_scaling(Tensor x, Tensor k) => k * x;

    /// <summary>y = k x, element-wise; <paramref name="k"/> is 0-d.</summary>
    public static Tensor global_scaling(Tensor x, Tensor k) => k * x;

    /// <summary>y_i = exp(−β x_i) / Σ_j exp(−β x_j) along the last dimension.</summary>
    public static Tensor softmax(Tensor x, Tensor beta) => torch.softmax(-beta * x, -1);

    /// <summary>y = −(1/β) log Σ_j exp(−β x_j), reducing the last dimension.</summary>
    public static Tensor log_sum(Tensor x, Tensor beta) => -torch.logsumexp(-beta * x, -1) / beta;
}
