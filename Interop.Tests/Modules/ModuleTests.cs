using Interop.Functions;
using Interop.Modules;
using Interop.Reference;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Modules;

public class ModuleTests
{
    private static nn.Module<Tensor, Tensor> Chain(double scale) => nn.Sequential(
        ("scale", new ComponentScaling(tensor(new[] { 1.0f * (float)scale, 2, -1, 0.5f }))),
        ("global", new GlobalScaling(k: 0.8 * scale)),
        ("exp", new Exponential(beta: 0.3 * scale)),
        ("softmax", new Softmax(beta: 1.5 * scale)),
        ("logsum", new LogSum(beta: 2.0 * scale)));

    [Fact]
    public void Modules_compose_in_Sequential_and_equal_the_same_chain_of_twins()
    {
        var model = Chain(1.0);
        var x = randn([6, 4], generator: new Generator(7));
        var expected = AutogradTwins.log_sum(AutogradTwins.softmax(AutogradTwins.exponential(
            AutogradTwins.global_scaling(AutogradTwins.component_scaling(x, tensor(new[] { 1.0f, 2, -1, 0.5f })), tensor(0.8f)),
            tensor(0.3f)), tensor(1.5f)), tensor(2.0f));
        TensorAssert.Close(expected, model.call(x), 1e-6, "Sequential output");

        model.call(x).sum().backward();
        var names = model.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(["scale.k", "global.k", "exp.beta", "softmax.beta", "logsum.beta"], names);
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.isfinite().all().ToBoolean()));
    }

    [Fact]
    public void State_dict_round_trips_through_save_and_load()
    {
        var trained = Chain(1.7);
        var fresh = Chain(1.0);
        string path = Path.Combine(Path.GetTempPath(), $"interop-{Guid.NewGuid():N}.dat");
        try
        {
            trained.save(path);
            fresh.load(path);
        }
        finally
        {
            File.Delete(path);
        }
        foreach (var ((name, expected), (_, actual)) in trained.state_dict().Zip(fresh.state_dict()))
            Assert.True(expected.equal(actual).all().ToBoolean(), $"{name} differs after load");
        var x = randn([3, 4], generator: new Generator(8));
        Assert.True(trained.call(x).equal(fresh.call(x)).all().ToBoolean());
    }

    [Fact]
    public void To_dtype_converts_every_parameter_and_the_module_keeps_working()
    {
        var model = Chain(1.0);
        model.to(ScalarType.Float64);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
        Assert.Equal(ScalarType.Float64, ((Softmax)model.children().ElementAt(3)).beta.dtype);
        var y = model.call(randn([2, 4], ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, y.dtype);
    }

    [Fact]
    public void A_frozen_parameter_gets_no_gradient_and_the_input_still_does()
    {
        var module = new Softmax(beta: 2.0, requires_grad: false);
        var x = randn([3, 5], generator: new Generator(9)).requires_grad_();
        (module.call(x) * arange(5)).sum().backward();
        Assert.False(module.beta.requires_grad);
        Assert.Null(module.beta.grad);
        Assert.NotNull(x.grad);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Backward_computes_only_the_gradients_that_are_required(bool xRequires, bool parameterRequires)
    {
        foreach (var map in ModuleMap.All)
        {
            var x = randn([3, 5], ScalarType.Float64, generator: new Generator(10)).requires_grad_(xRequires);
            var parameter = map.MakeParameter(0.9, 5).requires_grad_(parameterRequires);
            map.Function(x, parameter).sum().backward();
            Assert.Equal(xRequires, x.grad is not null);
            Assert.Equal(parameterRequires, parameter.grad is not null);
        }
    }

    [Fact]
    public void Functions_build_no_graph_when_nothing_requires_grad()
    {
        var y = SoftmaxFunction.apply(randn(3, 4), tensor(1.0f));
        Assert.False(y.requires_grad);
    }

    [Fact]
    public void Constructors_reject_bad_arguments()
    {
        Assert.Contains("nonzero", Assert.Throws<ArgumentException>(() => new LogSum(beta: 0)).Message);
        Assert.Contains("Float32 or Float64", Assert.Throws<ArgumentException>(() => new Exponential(dtype: ScalarType.Int32)).Message);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => new ComponentScaling(0)).ParamName);
        Assert.Contains("got shape [2, 2]", Assert.Throws<ArgumentException>(() => new ComponentScaling(ones(2, 2))).Message);
    }

    [Fact]
    public void ComponentScaling_copies_its_initial_K()
    {
        var initial = tensor(new[] { 1.0, 2.0 });
        var module = new ComponentScaling(initial);
        using (no_grad())
            module.k.mul_(3);
        Assert.Equal(new[] { 1.0, 2.0 }, initial.data<double>().ToArray());
    }
}
