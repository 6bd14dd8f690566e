using Interop.Functions;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>
/// y_i = k_i x_i along the last dimension, with K = [k_1 … k_N] a vector parameter.
/// Backward is <see cref="ComponentScalingFunction"/>'s hand-written one.
/// </summary>
public sealed class ComponentScaling : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(k))]
    private Parameter _k;

    /// <summary>Creates the module for inputs with <paramref name="features"/> components, every k_i starting at <paramref name="k"/>.</summary>
    /// <param name="features">N, the size of x's last dimension.</param>
    /// <param name="k">Initial value of every k_i.</param>
    /// <param name="requires_grad">Whether K is learned (true) or frozen (false).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <param name="device">Device of K; CPU by default.</param>
    public ComponentScaling(long features, double k = 1.0, bool requires_grad = true, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(ComponentScaling))
    {
        if (features < 1)
            throw new ArgumentOutOfRangeException(nameof(features), features, "ComponentScaling: 'features' must be at least 1.");
        ModuleParameters.RequireFloating(nameof(ComponentScaling), dtype);
        using var value = k.ToScalar();
        _k = new Parameter(torch.full(features, value, dtype: dtype, device: device), requires_grad);
        RegisterComponents();
    }

    /// <summary>Creates the module with K initialised to a copy of <paramref name="k"/> (shape [N]; its dtype and device are kept).</summary>
    /// <param name="k">Initial K, a float32 or float64 vector.</param>
    /// <param name="requires_grad">Whether K is learned (true) or frozen (false).</param>
    public ComponentScaling(Tensor k, bool requires_grad = true)
        : base(nameof(ComponentScaling))
    {
        ArgumentNullException.ThrowIfNull(k);
        if (k.dim() != 1 || k.shape[0] < 1)
            throw new ArgumentException($"ComponentScaling: 'k' must be a vector of shape [N] with N ≥ 1; got shape [{string.Join(", ", k.shape)}].", nameof(k));
        ModuleParameters.RequireFloating(nameof(ComponentScaling), k.dtype);
        _k = new Parameter(k.detach().clone(), requires_grad);
        RegisterComponents();
    }

    /// <summary>K, a parameter of shape [N].</summary>
    public Parameter k
    {
        get => _k;
        private set => ConditionallyRegisterParameter(nameof(k), _k = value); // used by Module.to(…) when it swaps the parameter
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => ComponentScalingFunction.apply(x, _k);
}
