using Interop.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Modules;

/// <summary>Each module, trained by plain SGD on data made with a known parameter, recovers it within 2%.</summary>
public class TrainingTests
{
    private const double Tolerance = 0.02;

    /// <summary>Fits <paramref name="module"/> to targets from <paramref name="teacher"/> by full-batch SGD on the mean squared error.</summary>
    private static void Fit(nn.Module<Tensor, Tensor> module, nn.Module<Tensor, Tensor> teacher, Tensor x, double learningRate, int steps)
    {
        Tensor target;
        using (no_grad())
            target = teacher.call(x);
        var optimizer = optim.SGD(module.parameters(), learningRate);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(module.call(x), target).backward();
            optimizer.step();
        }
    }

    private static void AssertWithin(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Abs(expected), $"{what}: learned {actual}, expected {expected} within 2%");

    [Fact]
    public void Exponential_recovers_beta()
    {
        var model = new Exponential(beta: 0.5, dtype: ScalarType.Float64);
        Fit(model, new Exponential(beta: 1.7, requires_grad: false, dtype: ScalarType.Float64),
            rand([256], ScalarType.Float64, generator: new Generator(1)) * 2, learningRate: 2.0, steps: 300);
        AssertWithin(1.7, model.beta.ToDouble(), "β");
    }

    [Fact]
    public void ComponentScaling_recovers_K()
    {
        var truth = tensor(new double[] { 0.5, -1.2, 2.0, 3.0 });
        var model = new ComponentScaling(4, k: 1.0, dtype: ScalarType.Float64);
        Fit(model, new ComponentScaling(truth, requires_grad: false),
            randn([256, 4], ScalarType.Float64, generator: new Generator(2)), learningRate: 1.0, steps: 300);
        for (int i = 0; i < 4; i++)
            AssertWithin(truth[i].ToDouble(), model.k[i].ToDouble(), $"k_{i}");
    }

    [Fact]
    public void GlobalScaling_recovers_k()
    {
        var model = new GlobalScaling(k: 0.2, dtype: ScalarType.Float64);
        Fit(model, new GlobalScaling(k: -1.5, requires_grad: false, dtype: ScalarType.Float64),
            randn([64, 3], ScalarType.Float64, generator: new Generator(3)), learningRate: 0.5, steps: 200);
        AssertWithin(-1.5, model.k.ToDouble(), "k");
    }

    [Fact]
    public void Softmax_recovers_beta()
    {
        var model = new Softmax(beta: 0.5, dtype: ScalarType.Float64);
        Fit(model, new Softmax(beta: 2.0, requires_grad: false, dtype: ScalarType.Float64),
            randn([128, 5], ScalarType.Float64, generator: new Generator(4)), learningRate: 5.0, steps: 600);
        AssertWithin(2.0, model.beta.ToDouble(), "β");
    }

    [Fact]
    public void LogSum_recovers_beta()
    {
        var model = new LogSum(beta: 0.5, dtype: ScalarType.Float64);
        Fit(model, new LogSum(beta: 1.5, requires_grad: false, dtype: ScalarType.Float64),
            randn([128, 5], ScalarType.Float64, generator: new Generator(5)), learningRate: 0.05, steps: 800);
        AssertWithin(1.5, model.beta.ToDouble(), "β");
    }
}
