using Interop.Functions;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>y = exp(−β x), element-wise, with β a parameter. Backward is <see cref="ExponentialFunction"/>'s hand-written one.</summary>
public sealed class Exponential : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(beta))]
    private Parameter _beta;

    /// <summary>Creates the module with β = <paramref name="beta"/>.</summary>
    /// <param name="beta">Initial β.</param>
    /// <param name="requires_grad">Whether β is learned (true) or frozen (false).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <param name="device">Device of β; CPU by default.</param>
    public Exponential(double beta = 1.0, bool requires_grad = true, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(Exponential))
    {
        _beta = ModuleParameters.Scalar(nameof(Exponential), beta, requires_grad, dtype, device);
        RegisterComponents();
    }

    /// <summary>β, a 0-d parameter.</summary>
    public Parameter beta
    {
        get => _beta;
        private set => ConditionallyRegisterParameter(nameof(beta), _beta = value); // used by Module.to(…) when it swaps the parameter
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => ExponentialFunction.apply(x, _beta);
}
