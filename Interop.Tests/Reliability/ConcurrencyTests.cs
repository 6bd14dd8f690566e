using Interop.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Reliability;

/// <summary>TorchSharp keeps one instance per Function type, so the Functions must be stateless to train in parallel.</summary>
public class ConcurrencyTests
{
    /// <summary>Trains a chain of all five modules on data from its own seed and returns its final parameters.</summary>
    private static double[] Train(int seed)
    {
        var model = nn.Sequential(
            ("scale", new ComponentScaling(6, k: 0.9, dtype: ScalarType.Float64)),
            ("global", new GlobalScaling(k: 1.1, dtype: ScalarType.Float64)),
            ("exp", new Exponential(beta: 0.4, dtype: ScalarType.Float64)),
            ("softmax", new Softmax(beta: 1.2, dtype: ScalarType.Float64)),
            ("logsum", new LogSum(beta: 0.7, dtype: ScalarType.Float64)));
        var generator = new Generator((ulong)seed);
        var x = randn([32, 6], ScalarType.Float64, generator: generator);
        var target = randn([32], ScalarType.Float64, generator: generator) * 0.1;
        var optimizer = optim.SGD(model.parameters(), 0.1);
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), target).backward();
            optimizer.step();
        }
        return model.parameters().SelectMany(p => p.detach().flatten().data<double>().ToArray()).ToArray();
    }

    [Fact]
    public void Parallel_training_ends_with_the_same_parameters_as_sequential_training()
    {
        int[] seeds = [1, 2, 3, 4, 5, 6];
        var sequential = seeds.Select(Train).ToArray();
        var parallel = new double[seeds.Length][];
        var threads = seeds.Select((seed, i) => new Thread(() => parallel[i] = Train(seed))).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();

        for (int i = 0; i < seeds.Length; i++)
            Assert.Equal(sequential[i], parallel[i]);
        Assert.NotEqual(sequential[0], sequential[1]);
    }
}
