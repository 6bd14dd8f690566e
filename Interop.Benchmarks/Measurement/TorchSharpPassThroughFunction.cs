using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// y = x through TorchSharp 0.107's own <c>autograd.Function&lt;T&gt;</c>, which the Functions ran on before
/// <c>Interop.Autograd</c>: forward returns an alias of x and backward returns g. Forward+backward through it is the
/// fixed cost of TorchSharp's custom-Function machinery, kept as a reference row beside the runtime's
/// (<see cref="PassThroughFunction"/>).
/// </summary>
public sealed class TorchSharpPassThroughFunction : autograd.SingleTensorFunction<TorchSharpPassThroughFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(TorchSharpPassThroughFunction);

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).alias();

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output) => [grad_output];
}
