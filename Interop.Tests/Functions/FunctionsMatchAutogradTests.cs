using Interop.Reference;
using Interop.Checking;
using Interop.Tests.Numerics.Exact;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>
/// Each hand-written Function against autograd through its built-in twin, in float64, and against the exact values.
/// The twin is the comparison wherever it is itself within the tolerance of the exact values: on saturated rows
/// (Softmax with β = 3 on x of spread 8) its own rounding of 1 − y_max is larger than that, and the exact values judge.
/// </summary>
public class FunctionsMatchAutogradTests
{
    private const double RelativeTolerance = 1e-12;

    public static TheoryData<string, long[], double> Cases()
    {
        var data = new TheoryData<string, long[], double>();
        long[][] shapes = [[], [1], [5], [3, 5], [2, 3, 5]];
        foreach (var map in ModuleMap.All)
            foreach (var shape in shapes.Where(s => s.Length > 0 || map.IsElementWise))
                foreach (var value in new[] { -2.5, -0.3, 0.7, 3.0 })
                    data.Add(map.Name, shape, value);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_both_gradients_match_the_twin(string module, long[] shape, double parameterValue)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var generator = new Generator(17);
        var x = randn(shape, ScalarType.Float64, generator: generator) * 2;
        var parameter = map.MakeParameter(parameterValue, shape.Length == 0 ? 1 : shape[^1]);
        var upstream = RandomUpstream(map, x, parameter, generator);
        var hand = MapGradients.Of(map.Function, x, parameter, upstream);
        var twin = MapGradients.Of(ReferenceTwin.For(map), x, parameter, upstream);

        var exact = ExactGradients.Of(module, x, parameter, upstream);

        foreach (var (name, of) in new (string, Func<MapGradients, Tensor>)[] { ("y", r => r.Output), ("∂E/∂x", r => r.GradX), ($"∂E/∂{map.ParameterName}", r => r.GradParameter) })
        {
            TensorAssert.Close(of(exact), of(hand), RelativeTolerance, $"{module} {name} against the exact value");
            if (WithinTolerance(of(exact), of(twin)))
                TensorAssert.Close(of(twin), of(hand), RelativeTolerance, $"{module} {name} against the twin");
        }
        Assert.Equal(parameter.shape, hand.GradParameter.shape);
        Assert.Equal(ScalarType.Float64, hand.GradParameter.dtype);
    }

    private static bool WithinTolerance(Tensor expected, Tensor actual) =>
        (actual - expected).abs().max().ToDouble() <= RelativeTolerance * expected.abs().max().ToDouble();

    private static Tensor RandomUpstream(ModuleMap map, Tensor x, Tensor parameter, Generator generator)
    {
        using var _ = no_grad();
        return randn(map.Twin(x, parameter).shape, ScalarType.Float64, generator: generator);
    }
}
