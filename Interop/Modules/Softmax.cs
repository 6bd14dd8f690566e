using Interop.Functions;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>
/// y_i = exp(−β x_i) / Σ_j exp(−β x_j) over the last dimension, with β a parameter (an inverse temperature; note
/// the minus sign: large β puts the weight on the smallest x). Backward is <see cref="SoftmaxFunction"/>'s hand-written one.
/// </summary>
public sealed class Softmax : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(beta))]
    private Parameter _beta;

    /// <summary>Creates the module with β = <paramref name="beta"/>.</summary>
    /// <param name="beta">Initial β.</param>
    /// <param name="requires_grad">Whether β is learned (true) or frozen (false).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <param name="device">Device of β; CPU by default.</param>
    public Softmax(double beta = 1.0, bool requires_grad = true, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(Softmax))
    {
        _beta = ModuleParameters.Scalar(nameof(Softmax), beta, requires_grad, dtype, device);
        RegisterComponents();
    }

    /// <summary>β, a 0-d parameter.</summary>
    public Parameter beta
    {
        get => _beta;
        private set => ConditionallyRegisterParameter(nameof(beta), _beta = value); // used by Module.to(…) when it swaps the parameter
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => SoftmaxFunction.apply(x, _beta);
}
