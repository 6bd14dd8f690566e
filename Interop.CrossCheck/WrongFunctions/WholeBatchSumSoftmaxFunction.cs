using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y = softmax(−β x) over the last dimension whose backward takes Σ_j g_j y_j over the whole batch instead of over each
/// row: u_i = y_i (g_i − Σ_rows Σ_j g_j y_j). With one row it is right; with more, every row gets the others' terms.
/// </summary>
internal sealed class WholeBatchSumSoftmaxFunction : BinaryFunction<WholeBatchSumSoftmaxFunction>
{
    private WholeBatchSumSoftmaxFunction() : base("x", "beta")
    {
    }

    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var y = softmax(x * -beta, -1);
        ctx.save_for_backward(x, beta, y);
        return y;
    }

    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta, y) = ctx.saved_tensors;
        var u = y * (grad_output - (grad_output * y).sum());
        return (u * -beta, (x * u).sum().neg());
    }
}
