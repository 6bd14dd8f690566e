using Interop.Checking;
using Interop.Reference;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>
/// Second derivatives through the hand-written backward. With create_graph autograd records backward itself, so
/// backward must take its differentiable path; differentiating a random projection of the first-order gradients
/// again must then give what autograd gives through the twin, with respect to x, the parameter and g alike.
/// </summary>
public class SecondOrderTests
{
    private const double RelativeTolerance = 1e-12;

    public static TheoryData<string, long[], double> Cases()
    {
        var data = new TheoryData<string, long[], double>();
        long[][] shapes = [[], [5], [3, 5], [2, 3, 4]];
        foreach (var map in ModuleMap.All)
            foreach (var shape in shapes.Where(s => s.Length > 0 || map.IsElementWise))
                foreach (var value in new[] { -0.7, 1.3 })
                    data.Add(map.Name, shape, value);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Differentiating_the_gradients_again_matches_autograd_of_the_twin(string module, long[] shape, double parameterValue)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var generator = new Generator(23);
        var x = randn(shape, ScalarType.Float64, generator: generator) * 1.5;
        var parameter = map.MakeParameter(parameterValue, shape.Length == 0 ? 1 : shape[^1]);
        Tensor upstream;
        using (no_grad())
            upstream = randn(map.Twin(x, parameter).shape, ScalarType.Float64, generator: generator);
        var projectX = randn(shape, ScalarType.Float64, generator: generator);
        var projectParameter = randn(parameter.shape, ScalarType.Float64, generator: generator);

        var hand = SecondDerivatives(map.Function, x, parameter, upstream, projectX, projectParameter);
        var twin = SecondDerivatives(ReferenceTwin.For(map), x, parameter, upstream, projectX, projectParameter);

        string[] names = ["x", map.ParameterName, "g"];
        for (int i = 0; i < names.Length; i++)
            TensorAssert.Close(twin[i], hand[i], RelativeTolerance, $"{module}: ∂/∂{names[i]} of ⟨∂E/∂x, v⟩ + ⟨∂E/∂{map.ParameterName}, w⟩");
    }

    /// <summary>
    /// The gradient of S = ⟨∂E/∂x, v⟩ + ⟨∂E/∂p, w⟩ with respect to x, p and g, where E = ⟨g, map(x, p)⟩ and the first-order
    /// gradients come from backward with create_graph. A derivative that does not depend on an input is zero.
    /// </summary>
    private static Tensor[] SecondDerivatives(Func<Tensor, Tensor, Tensor> map, Tensor x, Tensor parameter, Tensor upstream, Tensor v, Tensor w)
    {
        Tensor[] leaves = [x.detach().clone().requires_grad_(), parameter.detach().clone().requires_grad_(), upstream.detach().clone().requires_grad_()];
        var y = map(leaves[0], leaves[1]);
        var first = autograd.grad([y], [leaves[0], leaves[1]], [leaves[2]], retain_graph: true, create_graph: true);
        var projection = (first[0] * v).sum() + (first[1] * w).sum();
        var second = autograd.grad([projection], leaves, allow_unused: true);
        return second.Select((g, i) => g.IsInvalid ? zeros_like(leaves[i]) : g).ToArray();
    }
}
