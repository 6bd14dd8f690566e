using Interop.Functions;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>y = k x, element-wise, with k a scalar parameter. Backward is <see cref="GlobalScalingFunction"/>'s hand-written one.</summary>
public sealed class GlobalScaling : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(k))]
    private Parameter _k;

    /// <summary>Creates the module with k = <paramref name="k"/>.</summary>
    /// <param name="k">Initial k.</param>
    /// <param name="requires_grad">Whether k is learned (true) or frozen (false).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <param name="device">Device of k; CPU by default.</param>
    public GlobalScaling(double k = 1.0, bool requires_grad = true, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(GlobalScaling))
    {
        _k = ModuleParameters.Scalar(nameof(GlobalScaling), k, requires_grad, dtype, device);
        RegisterComponents();
    }

    /// <summary>k, a 0-d parameter.</summary>
    public Parameter k
    {
        get => _k;
        private set => ConditionallyRegisterParameter(nameof(k), _k = value); // used by Module.to(…) when it swaps the parameter
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => GlobalScalingFunction.apply(x, _k);
}
