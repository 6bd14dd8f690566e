using Interop.Functions;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>
/// y = −(1/β) log Σ_j exp(−β x_j), reducing the last dimension: a soft minimum that tends to min x as β grows.
/// β is a parameter and must stay nonzero. Backward is <see cref="LogSumFunction"/>'s hand-written one.
/// </summary>
public sealed class LogSum : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(beta))]
    private Parameter _beta;

    /// <summary>Creates the module with β = <paramref name="beta"/>.</summary>
    /// <param name="beta">Initial β, nonzero.</param>
    /// <param name="requires_grad">Whether β is learned (true) or frozen (false).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <param name="device">Device of β; CPU by default.</param>
    /// <exception cref="ArgumentException"><paramref name="beta"/> is 0.</exception>
    public LogSum(double beta = 1.0, bool requires_grad = true, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(LogSum))
    {
        if (beta == 0)
            throw new ArgumentException("LogSum: 'beta' must be nonzero (y = −(1/β) log Σ exp(−β x) divides by β); got 0.", nameof(beta));
        _beta = ModuleParameters.Scalar(nameof(LogSum), beta, requires_grad, dtype, device);
        RegisterComponents();
    }

    /// <summary>β, a 0-d parameter.</summary>
    public Parameter beta
    {
        get => _beta;
        private set => ConditionallyRegisterParameter(nameof(beta), _beta = value); // used by Module.to(…) when it swaps the parameter
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => LogSumFunction.apply(x, _beta);
}
