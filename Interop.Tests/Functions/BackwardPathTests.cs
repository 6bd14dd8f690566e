using Interop.Autograd;
using Interop.Checking;
using Interop.Reference;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>
/// Each backward has two paths: without grad mode (a plain backward) it works in place on its own temporaries; with
/// create_graph it uses out-of-place operations that autograd can record. These tests pin down that both give the
/// same gradients on every kind of input, that the plain path touches nothing autograd or the caller still holds, and
/// that each call takes the path its grad mode asks for.
/// </summary>
public class BackwardPathTests
{
    private const double Inf = double.PositiveInfinity;

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var map in ModuleMap.All)
            foreach (var input in new[] { "random", "transposed", "broadcast g", "infinite", "nan", "negative parameter", "zero parameter" })
                if (!(input == "zero parameter" && map == ModuleMap.LogSum))
                    data.Add(map.Name, input);
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Both_paths_give_the_same_gradients(string module, string input)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var (x, parameter, upstream) = Input(map, input);

        var plain = MapGradients.Of(map.Function, x, parameter, upstream, create_graph: false);
        var recorded = MapGradients.Of(map.Function, x, parameter, upstream, create_graph: true);

        AssertSame(recorded.GradX, plain.GradX, $"{module} ({input}) ∂E/∂x");
        AssertSame(recorded.GradParameter, plain.GradParameter, $"{module} ({input}) ∂E/∂{map.ParameterName}");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void The_plain_path_leaves_grad_output_and_the_saved_tensors_as_they_were(string module, string input)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var (x, parameter, upstream) = Input(map, input);
        var xLeaf = x.clone().requires_grad_();
        var parameterLeaf = parameter.clone().requires_grad_();
        var upstreamBefore = upstream.clone();

        var y = map.Function(xLeaf, parameterLeaf);
        var yBefore = y.detach().clone();
        var first = autograd.grad([y], [xLeaf, parameterLeaf], [upstream], retain_graph: true);
        // A second backward through the same graph unpacks the saved tensors again: had the first modified one of
        // them in place, autograd would refuse (version check) or the gradients would differ.
        var second = autograd.grad([y], [xLeaf, parameterLeaf], [upstream]);

        AssertSame(upstreamBefore, upstream, "grad_output");
        AssertSame(yBefore, y.detach(), "y");
        AssertSame(x, xLeaf.detach(), "x");
        AssertSame(first[0], second[0], "∂E/∂x of a repeated backward");
        AssertSame(first[1], second[1], $"∂E/∂{map.ParameterName} of a repeated backward");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Each_call_takes_the_path_its_grad_mode_asks_for(string module, string input)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var (x, parameter, upstream) = Input(map, input);

        // Recorded gradients depend on the parameter (and on x for all but the scalings), so they carry a graph;
        // the plain path runs with grad mode off and returns detached tensors.
        Assert.True(MapGradients.Of(map.Function, x, parameter, upstream, create_graph: true).GradX.requires_grad, "create_graph: ∂E/∂x has a graph");
        Assert.False(MapGradients.Of(map.Function, x, parameter, upstream, create_graph: false).GradX.requires_grad, "plain: ∂E/∂x has no graph");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Only_the_gradients_asked_for_are_computed_and_they_are_right(string module, string input)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var (x, parameter, upstream) = Input(map, input);
        var both = MapGradients.Of(map.Function, x, parameter, upstream, create_graph: false);

        // A frozen parameter (requires_grad false) gets no gradient; x's must not change because of it, and vice versa.
        var xLeaf = x.clone().requires_grad_();
        var gradX = autograd.grad([map.Function(xLeaf, parameter)], [xLeaf], [upstream])[0];
        AssertSame(both.GradX, gradX, $"{module} ({input}) ∂E/∂x with the parameter frozen");

        var parameterLeaf = parameter.clone().requires_grad_();
        var gradParameter = autograd.grad([map.Function(x, parameterLeaf)], [parameterLeaf], [upstream])[0];
        AssertSame(both.GradParameter, gradParameter, $"{module} ({input}) ∂E/∂{map.ParameterName} with x frozen");
    }

    public static TheoryData<string> Modules() => [.. ModuleMap.All.Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(Modules))]
    public void A_missing_gradient_for_the_output_gives_none_for_x_and_the_parameter(string module)
    {
        using var scope = NewDisposeScope();
        var map = ModuleMap.All.Single(m => m.Name == module);
        var (x, parameter, _) = Input(map, "random");
        var xLeaf = x.clone().requires_grad_();
        var parameterLeaf = parameter.clone().requires_grad_();

        // The Function after y returns no gradient for it (autograd's undefined tensor), so backward runs with none,
        // after the dispose scope of forward has ended.
        Tensor loss;
        using (var forward = NewDisposeScope())
            loss = NoGradient.apply(map.Function(xLeaf, parameterLeaf)).sum().MoveToOuterDisposeScope();
        var grads = autograd.grad([loss], [xLeaf, parameterLeaf], allow_unused: true);

        Assert.All(grads, g => Assert.True(g.IsInvalid || g.count_nonzero().ToInt64() == 0, $"{module}: a gradient without any coming in"));
    }

    /// <summary>y = x, whose backward gives x no gradient at all (not even zeros).</summary>
    private sealed class NoGradient : Function<NoGradient>
    {
        private NoGradient() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0].alias();

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) => grad_inputs[0] = null;
    }

    /// <summary>Float64 x of shape [3, 4] and g of the output's shape, each input probing one kind of trouble.</summary>
    private static (Tensor X, Tensor Parameter, Tensor Upstream) Input(ModuleMap map, string input)
    {
        var generator = new Generator(41);
        var x = randn([3, 4], ScalarType.Float64, generator: generator) * 2;
        double value = 1.3;
        switch (input)
        {
            case "transposed":
                x = randn([4, 3], ScalarType.Float64, generator: generator).t();
                break;
            case "infinite":
                x[0, 1] = tensor(Inf);
                x[1] = tensor(new[] { -Inf, 0.5, -Inf, 2.0 });
                x[2] = full(4, Inf, ScalarType.Float64);
                break;
            case "nan":
                x[1, 2] = tensor(double.NaN);
                break;
            case "negative parameter":
                value = -0.7;
                break;
            case "zero parameter":
                value = 0;
                break;
        }
        var parameter = map.MakeParameter(value, 4);
        Tensor upstream;
        using (no_grad())
            upstream = randn(map.Twin(zeros_like(x), parameter).shape, ScalarType.Float64, generator: generator);
        // What y.sum().backward() sends: one value expanded to y's shape, with stride 0.
        if (input == "broadcast g")
            upstream = tensor(0.6, ScalarType.Float64).expand(upstream.shape);
        return (x, parameter, upstream);
    }

    /// <summary>Equal to 1e-12 of the scale where finite, and NaN and ±∞ in the same places.</summary>
    private static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        var finite = expected.isfinite();
        Assert.True(actual.isnan().equal(expected.isnan()).all().ToBoolean(), $"{what}: NaN in different places: {Show(actual)}, expected {Show(expected)}");
        Assert.True(actual.isposinf().equal(expected.isposinf()).all().ToBoolean() && actual.isneginf().equal(expected.isneginf()).all().ToBoolean(),
            $"{what}: infinities differ: {Show(actual)}, expected {Show(expected)}");
        if (finite.any().ToBoolean())
            TensorAssert.Close(expected.masked_select(finite), actual.masked_select(finite), 1e-12, what);
    }

    private static string Show(Tensor t) => t.ToString(TorchSharp.TensorStringStyle.Julia);
}
