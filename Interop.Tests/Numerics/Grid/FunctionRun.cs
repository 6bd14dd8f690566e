using Interop.Checking;
using Interop.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Grid;

/// <summary>
/// What today's Functions give, through the public API only: y from <c>apply</c>; the first-order gradients by
/// <see cref="SafeAutograd.grad"/>, once plainly and once with create_graph; and second order by differentiating
/// S = ⟨∂E/∂x, v⟩ + ⟨∂E/∂p, w⟩, built from the create_graph gradients, again. Every value comes back as a double
/// (float32 values convert exactly).
/// </summary>
public static class FunctionRun
{
    /// <summary>Every <see cref="Measure"/> for a grid case, on fresh contiguous tensors of its dtype.</summary>
    public static IReadOnlyDictionary<Measure, double[]> Of(GridCase gridCase)
    {
        ArgumentNullException.ThrowIfNull(gridCase);
        using var scope = NewDisposeScope();
        Tensor Make(double[] values, long[] shape) => tensor(values, shape, ScalarType.Float64).to(gridCase.DType);
        return Of(ModuleMap.All.Single(m => m.Name == gridCase.Module),
            Make(gridCase.X, gridCase.Shape).requires_grad_(), Make(gridCase.Parameter, gridCase.ParameterShape).requires_grad_(),
            Make(gridCase.Upstream, gridCase.OutputShape).requires_grad_(),
            Make(gridCase.DirectionX, gridCase.Shape), Make(gridCase.DirectionParameter, gridCase.ParameterShape));
    }

    /// <summary>
    /// Every <see cref="Measure"/> on the tensors given, as they are laid out in memory: x, the parameter and g must be
    /// leaves that require grad (g so that ∂S/∂g exists); v and w are the direction of S.
    /// </summary>
    public static IReadOnlyDictionary<Measure, double[]> Of(ModuleMap map, Tensor x, Tensor parameter, Tensor upstream, Tensor directionX, Tensor directionParameter)
    {
        ArgumentNullException.ThrowIfNull(map);
        using var scope = NewDisposeScope();
        var y = map.Function(x, parameter);
        var plain = SafeAutograd.grad([y], [x, parameter], [upstream]);
        var recorded = SafeAutograd.grad([map.Function(x, parameter)], [x, parameter], [upstream], create_graph: true);
        var projection = (recorded[0]! * directionX).sum() + (recorded[1]! * directionParameter).sum();
        Tensor[] leaves = [x, parameter, upstream];
        var second = SafeAutograd.grad([projection], leaves, allow_unused: true);
        double[] SecondOf(int i) => Values(second[i] ?? zeros_like(leaves[i]));
        return new Dictionary<Measure, double[]>
        {
            [new(Quantity.Output, GradientPath.Forward)] = Values(y),
            [new(Quantity.GradX, GradientPath.Plain)] = Values(plain[0]!),
            [new(Quantity.GradX, GradientPath.Recorded)] = Values(recorded[0]!),
            [new(Quantity.GradParameter, GradientPath.Plain)] = Values(plain[1]!),
            [new(Quantity.GradParameter, GradientPath.Recorded)] = Values(recorded[1]!),
            [new(Quantity.SecondX, GradientPath.Recorded)] = SecondOf(0),
            [new(Quantity.SecondParameter, GradientPath.Recorded)] = SecondOf(1),
            [new(Quantity.SecondUpstream, GradientPath.Recorded)] = SecondOf(2),
        };
    }

    private static double[] Values(Tensor t) => t.detach().contiguous().to(ScalarType.Float64).data<double>().ToArray();
}
