using Interop.Functions;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Reference;

/// <summary>
/// One of the five maps of the problem set, seen from both sides: its hand-written autograd Function and its
/// built-in-autograd twin. Validation, the CLI, benchmarks and notebooks iterate over <see cref="All"/>.
/// </summary>
/// <param name="Name">The module's name: Exponential, ComponentScaling, GlobalScaling, Softmax or LogSum.</param>
/// <param name="ParameterName">The parameter's name as the Function's <c>apply</c> takes it: <c>beta</c> or <c>k</c>.</param>
/// <param name="Formula">The map in one line of plain math.</param>
/// <param name="ParameterIsVector">True when the parameter is a vector [N] (K); false when it is 0-d (β, k).</param>
/// <param name="IsElementWise">True when x may have any shape, 0-d included; false when x must be [..., N].</param>
/// <param name="Function">The hand-written Function's <c>apply(x, parameter)</c>.</param>
/// <param name="Twin">The same map from built-in operations (see <see cref="AutogradTwins"/>).</param>
public sealed record ModuleMap(
    string Name,
    string ParameterName,
    string Formula,
    bool ParameterIsVector,
    bool IsElementWise,
    Func<Tensor, Tensor, Tensor> Function,
    Func<Tensor, Tensor, Tensor> Twin)
{
    /// <summary>Exponential: y = exp(−β x).</summary>
    public static ModuleMap Exponential { get; } = new(
        "Exponential", "beta", "y = exp(−β x)", false, true, ExponentialFunction.apply, AutogradTwins.exponential);

    /// <summary>Component scaling: y_i = k_i x_i.</summary>
    public static ModuleMap ComponentScaling { get; } = new(
        "ComponentScaling", "k", "y_i = k_i x_i", true, false, ComponentScalingFunction.apply, AutogradTwins.component_scaling);

    /// <summary>Global scaling: y_i = k x_i.</summary>
    public static ModuleMap GlobalScaling { get; } = new(
        "GlobalScaling", "k", "y_i = k x_i", false, true, GlobalScalingFunction.apply, AutogradTwins.global_scaling);

    /// <summary>Softmax: y_i = exp(−β x_i) / Σ_j exp(−β x_j).</summary>
    public static ModuleMap Softmax { get; } = new(
        "Softmax", "beta", "y_i = exp(−β x_i) / Σ_j exp(−β x_j)", false, false, SoftmaxFunction.apply, AutogradTwins.softmax);

    /// <summary>LogSum: y = −(1/β) log Σ_j exp(−β x_j).</summary>
    public static ModuleMap LogSum { get; } = new(
        "LogSum", "beta", "y = −(1/β) log Σ_j exp(−β x_j)", false, false, LogSumFunction.apply, AutogradTwins.log_sum);

    /// <summary>The five maps, in the problem set's order.</summary>
    public static IReadOnlyList<ModuleMap> All { get; } = [Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum];

    /// <summary>
    /// A parameter for an input whose last dimension is <paramref name="features"/>: a 0-d tensor holding
    /// <paramref name="value"/>, or for K a vector of <paramref name="features"/> values spread around it
    /// (value · (1 + 0.5 · (i/(N−1) − 0.5))), so that the components differ.
    /// </summary>
    public Tensor MakeParameter(double value, long features, ScalarType dtype = ScalarType.Float64, Device? device = null)
    {
        if (!ParameterIsVector)
            return tensor(value, dtype, device);
        var spread = features == 1 ? zeros(1, dtype: ScalarType.Float64) : linspace(-0.25, 0.25, features, dtype: ScalarType.Float64);
        using var scale = value.ToScalar();
        return spread.add_(HeldScalars.One, HeldScalars.One).mul_(scale).to(dtype, device ?? CPU);
    }
}
