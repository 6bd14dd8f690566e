using Interop.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.CrossCheck.WrongFunctions;

/// <summary>
/// y = exp(−β x) whose backward computes in float32 whatever the inputs' dtype: for float64 inputs the gradients come
/// back rounded to float32 (about 1e-7 relative), which the engine silently converts back to float64.
/// </summary>
internal sealed class Float32GradientExponentialFunction : BinaryFunction<Float32GradientExponentialFunction>
{
    private Float32GradientExponentialFunction() : base("x", "beta")
    {
    }

    protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor beta)
    {
        var y = x.mul(beta).neg_().exp_();
        ctx.save_for_backward(x, beta, y);
        return y;
    }

    protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
    {
        var (x, beta, y) = ctx.saved_tensors;
        var gy = (grad_output * y).to(ScalarType.Float32);
        return (gy * -beta.to(ScalarType.Float32), (gy * x.to(ScalarType.Float32)).sum().neg());
    }
}
