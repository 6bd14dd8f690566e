using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y = −(1/β) log Σ_j exp(−β x_j) over the last dimension with a factor missing in β's gradient: ∂y/∂β =
/// (Σ_j s_j x_j − y) / β with s = softmax(−β x), and backward forgets the division by β. ∂y/∂x = s is right.
/// </summary>
internal sealed class MissingInverseBetaLogSumFunction : BinaryFunction<MissingInverseBetaLogSumFunction>
{
    private MissingInverseBetaLogSumFunction() : base("x", "beta")
    {
    }

    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var y = logsumexp(x * -beta, -1).neg() / beta;
        ctx.save_for_backward(x, beta, y);
        return y;
    }

    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta, y) = ctx.saved_tensors;
        var s = softmax(x * -beta, -1);
        return (grad_output.unsqueeze(-1) * s, (grad_output * ((s * x).sum(-1) - y)).sum());
    }
}
