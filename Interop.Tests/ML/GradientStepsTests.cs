using Interop.ML;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interop.Tests.ML;

/// <summary>
/// The training loop's own Adam and SGD steps, which hold every Scalar they pass to libtorch, give the same bits as
/// TorchSharp's <c>optim.Adam</c> and <c>optim.SGD</c> at their defaults.
/// </summary>
public class GradientStepsTests
{
    public static TheoryData<string, ScalarType> Optimizers() => new()
    {
        { "Adam", ScalarType.Float32 }, { "Adam", ScalarType.Float64 }, { "SGD", ScalarType.Float32 }, { "SGD", ScalarType.Float64 },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Steps_give_the_same_bits_as_TorchSharps_optimizer(string name, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        Parameter[] Make() => [new(randn([3, 4], dtype, generator: new Generator(1))), new(randn([5], dtype, generator: new Generator(2)))];
        var ours = Make();
        var theirs = Make();
        const double learningRate = 0.05;
        using GradientStep step = name == "Adam" ? new AdamStep(ours, learningRate) : new SgdStep(ours, learningRate);
        using var reference = name == "Adam" ? (optim.Optimizer)optim.Adam(theirs, learningRate) : optim.SGD(theirs, learningRate);

        for (int i = 0; i < 30; i++)
        {
            // The same gradients for both: a loss of the parameters and random weights, so that they vary by step.
            var weights = ours.Select(p => randn(p.shape, dtype, generator: generator)).ToArray();
            step.ZeroGrad();
            reference.zero_grad();
            Loss(ours, weights).backward();
            Loss(theirs, weights).backward();
            step.Step();
            reference.step();
        }

        for (int k = 0; k < ours.Length; k++)
            Assert.True(ours[k].eq(theirs[k]).all().ToBoolean() && !ours[k].allclose(Make()[k]),
                $"{name} {dtype}, parameter {k}: {ours[k].detach().reshape(-1)[0].ToDouble():R} against TorchSharp's {theirs[k].detach().reshape(-1)[0].ToDouble():R}");
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone_and_keeps_its_own_step_count()
    {
        using var scope = NewDisposeScope();
        Parameter[] Make() => [new(ones(2, ScalarType.Float64)), new(ones(2, ScalarType.Float64))];
        var ours = Make();
        var theirs = Make();
        using var step = new AdamStep(ours, 0.1);
        using var reference = optim.Adam(theirs, 0.1);

        for (int i = 0; i < 4; i++)
        {
            // The second parameter takes part from the third step on.
            Tensor Loss(Parameter[] p) => i < 2 ? p[0].square().sum() : (p[0].square() + p[1].pow(3)).sum();
            step.ZeroGrad();
            reference.zero_grad();
            Loss(ours).backward();
            Loss(theirs).backward();
            if (i == 0)
                Assert.Null(ours[1].grad);
            step.Step();
            reference.step();
        }

        Assert.True(ours[0].eq(theirs[0]).all().ToBoolean() && ours[1].eq(theirs[1]).all().ToBoolean(),
            $"[{ours[1][0].ToDouble():R}] against TorchSharp's [{theirs[1][0].ToDouble():R}]");
    }

    private static Tensor Loss(Parameter[] parameters, Tensor[] weights) =>
        parameters.Zip(weights, (p, w) => (p.square() * w).sum() + (p * w).exp().sum()).Aggregate((a, b) => a + b);
}
