using Interop.Autograd;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y = softmax(−β x) over the last dimension with a sign error in x's gradient: ∂z/∂x = −β and the minus is lost, so
/// ∂E/∂x comes out as +β u with u_i = y_i (g_i − Σ_j g_j y_j). β's gradient is right.
/// </summary>
internal sealed class XSignErrorSoftmaxFunction : BinaryFunction<XSignErrorSoftmaxFunction>
{
    private XSignErrorSoftmaxFunction() : base("x", "beta")
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
        var u = y * (grad_output - (grad_output * y).sum(-1, keepdim: true));
        return (u * beta, (x * u).sum().neg());
    }
}
