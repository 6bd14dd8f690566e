using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// Full-batch L-BFGS (Nocedal and Wright, algorithm 7.4, the two-loop recursion) with a backtracking line search
/// that asks for sufficient decrease (Armijo, c₁ = 10⁻⁴). TorchSharp's <c>optim.LBFGS</c> has no line search and runs
/// its closure inside native code, where a managed exception (a cancellation, a NaN) ends the process; this one keeps
/// every step in managed code, one <see cref="Step"/> per epoch.
/// </summary>
internal sealed class Lbfgs : IDisposable
{
    private const int History = 10;
    private const int MaxHalvings = 30;
    private const double SufficientDecrease = 1e-4;

    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly Func<Tensor> _loss;
    private readonly double _learningRate;
    private readonly LinkedList<(Tensor S, Tensor Y, double Rho)> _pairs = new();
    private Tensor? _gradient;
    private double _value;
    private bool _started;

    /// <param name="parameters">What is optimised.</param>
    /// <param name="loss">The full-batch loss as a 0-d tensor with a graph back to the parameters.</param>
    /// <param name="learningRate">The first trial step of each line search (1 is the natural step of a quasi-Newton method).</param>
    public Lbfgs(IReadOnlyList<Parameter> parameters, Func<Tensor> loss, double learningRate)
    {
        _parameters = parameters;
        _loss = loss;
        _learningRate = learningRate;
    }

    /// <summary>Whether the last step could not lower the loss (a stationary point, at float precision).</summary>
    public bool Converged { get; private set; }

    /// <summary>One iteration; returns the loss at the new point.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        if (!_started)
        {
            (_value, var first) = Evaluate();
            _gradient = first.DetachFromDisposeScope();
            _started = true;
        }
        var direction = Direction(_gradient!);
        double slope = direction.dot(_gradient!).ToDouble();
        if (!(slope < 0))
        {
            ClearHistory();
            direction = _gradient!.neg();
            slope = direction.dot(_gradient!).ToDouble();
        }
        double step = _pairs.Count == 0 ? _learningRate * Math.Min(1.0, 1.0 / _gradient!.abs().sum().ToDouble()) : _learningRate;
        for (int halving = 0; halving < MaxHalvings; halving++)
        {
            Move(direction, step);
            var (value, gradient) = Evaluate();
            if (double.IsFinite(value) && value <= _value + SufficientDecrease * step * slope)
            {
                // What is kept across steps is detached from every dispose scope and disposed here.
                using var stepSize = step.ToScalar();
                var s = direction.mul(stepSize).DetachFromDisposeScope();
                var y = (gradient - _gradient!).DetachFromDisposeScope();
                double ys = y.dot(s).ToDouble();
                if (ys > 1e-10)
                    Remember(s, y, 1.0 / ys);
                else
                {
                    s.Dispose();
                    y.Dispose();
                }
                Converged = _value - value <= 1e-7 * Math.Max(1.0, Math.Abs(value));
                _gradient!.Dispose();
                _gradient = gradient.DetachFromDisposeScope();
                _value = value;
                return value;
            }
            gradient.Dispose();
            Move(direction, -step);
            step /= 2;
        }
        Converged = true;
        return _value;
    }

    public void Dispose()
    {
        ClearHistory();
        _gradient?.Dispose();
    }

    private (double Value, Tensor Gradient) Evaluate()
    {
        foreach (var parameter in _parameters)
            parameter.grad?.zero_();
        using var loss = _loss();
        loss.backward();
        var gradient = cat(_parameters.Select(parameter => parameter.grad is { } grad ? grad.flatten() : zeros_like(parameter).flatten()).ToArray(), 0);
        return (loss.ToDouble(), gradient);
    }

    /// <summary>−H g by the two-loop recursion over the remembered (s, y) pairs.</summary>
    private Tensor Direction(Tensor gradient)
    {
        var q = gradient.neg();
        var alphas = new Stack<double>();
        for (var node = _pairs.Last; node is not null; node = node.Previous)
        {
            var (s, y, rho) = node.Value;
            double alpha = rho * s.dot(q).ToDouble();
            alphas.Push(alpha);
            using var minusAlpha = (-alpha).ToScalar();
            q.add_(y, minusAlpha);
        }
        if (_pairs.Last is { } newest)
        {
            using var gamma = (1.0 / (newest.Value.Rho * newest.Value.Y.dot(newest.Value.Y).ToDouble())).ToScalar();
            q.mul_(gamma);
        }
        foreach (var (s, y, rho) in _pairs)
        {
            double beta = rho * y.dot(q).ToDouble();
            using var correction = (alphas.Pop() - beta).ToScalar();
            q.add_(s, correction);
        }
        return q;
    }

    private void Move(Tensor direction, double step)
    {
        using var _ = no_grad();
        using var stepSize = step.ToScalar();
        long offset = 0;
        foreach (var parameter in _parameters)
        {
            using var part = direction.narrow(0, offset, parameter.numel()).view_as(parameter);
            parameter.add_(part, stepSize);
            offset += parameter.numel();
        }
    }

    private void Remember(Tensor s, Tensor y, double rho)
    {
        _pairs.AddLast((s, y, rho));
        if (_pairs.Count > History)
        {
            var (oldS, oldY, _) = _pairs.First!.Value;
            oldS.Dispose();
            oldY.Dispose();
            _pairs.RemoveFirst();
        }
    }

    private void ClearHistory()
    {
        foreach (var (s, y, _) in _pairs)
        {
            s.Dispose();
            y.Dispose();
        }
        _pairs.Clear();
    }
}
