using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// The mini-batch optimizers of the training loop, Adam and plain SGD, with the updates of TorchSharp's
/// <c>optim.Adam</c> and <c>optim.SGD</c> at their defaults, operation for operation, so that they give the same bits.
/// </summary>
/// <remarks>
/// They exist because TorchSharp 0.107's optimizers pass numbers (ε, the step size, α = 1) where libtorch takes a
/// Scalar: each becomes a new <see cref="Scalar"/> whose finalizer frees the native value, and nothing keeps it alive
/// while the native call it was made for reads it. A garbage collection on another thread during that call frees it
/// under libtorch's feet: seen once in CI as Fit failing inside <c>Adam.step</c> with "Expected false to be true" from
/// c10's <c>Scalar::toFloat</c>, the freed value read as garbage (it could as well have been a wrong step, silently).
/// Here every Scalar is held in a field or a <c>using</c> for as long as the calls that read it.
/// </remarks>
internal abstract class GradientStep : IDisposable
{
    protected GradientStep(IReadOnlyList<Parameter> parameters) => Parameters = parameters;

    protected IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Zeroes every parameter's gradient before the next backward.</summary>
    public void ZeroGrad()
    {
        // Each read of .grad makes a new Tensor wrapper: the scope holds it during the call and disposes it after.
        using var scope = NewDisposeScope();
        foreach (var parameter in Parameters)
            parameter.grad?.zero_();
    }

    /// <summary>Updates every parameter that has a gradient, outside autograd.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i].grad is Tensor grad)
                Update(i, Parameters[i], grad);
    }

    protected abstract void Update(int index, Parameter parameter, Tensor grad);

    public virtual void Dispose()
    {
    }
}

/// <summary>θ ← θ − lr · g.</summary>
internal sealed class SgdStep(IReadOnlyList<Parameter> parameters, double learningRate) : GradientStep(parameters)
{
    private readonly Scalar _minusLearningRate = (-learningRate).ToScalar();

    protected override void Update(int index, Parameter parameter, Tensor grad) => parameter.add_(grad, _minusLearningRate);

    public override void Dispose() => _minusLearningRate.Dispose();
}

/// <summary>
/// Adam (Kingma and Ba) with β₁ = 0.9, β₂ = 0.999, ε = 1e−8 and no weight decay: m ← β₁ m + (1 − β₁) g,
/// v ← β₂ v + (1 − β₂) g², θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
/// </summary>
internal sealed class AdamStep : GradientStep
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    private readonly double _learningRate;
    private readonly Tensor[] _firstMoments, _secondMoments;
    private readonly Scalar _beta1 = Beta1.ToScalar(), _oneMinusBeta1 = (1 - Beta1).ToScalar();
    private readonly Scalar _beta2 = Beta2.ToScalar(), _oneMinusBeta2 = (1 - Beta2).ToScalar(), _epsilon = Epsilon.ToScalar();
    private readonly long[] _steps;

    public AdamStep(IReadOnlyList<Parameter> parameters, double learningRate) : base(parameters)
    {
        _learningRate = learningRate;
        _firstMoments = [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _secondMoments = [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _steps = new long[parameters.Count];
    }

    protected override void Update(int index, Parameter parameter, Tensor grad)
    {
        long step = ++_steps[index];
        double biasCorrection1 = 1 - Math.Pow(Beta1, step), biasCorrection2 = 1 - Math.Pow(Beta2, step);
        using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        using var minusStepSize = (-(_learningRate / biasCorrection1)).ToScalar();
        var m = _firstMoments[index].mul_(_beta1).add_(grad, _oneMinusBeta1);
        var v = _secondMoments[index].mul_(_beta2).addcmul_(grad, grad, _oneMinusBeta2);
        var denominator = v.sqrt().div_(sqrtBiasCorrection2).add_(_epsilon, HeldScalars.One);
        parameter.addcdiv_(m, denominator, minusStepSize);
    }

    public override void Dispose()
    {
        foreach (var t in _firstMoments.Concat(_secondMoments))
            t.Dispose();
        foreach (var s in new[] { _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon })
            s.Dispose();
    }
}
