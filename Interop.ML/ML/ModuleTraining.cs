using Microsoft.ML.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// The training loop both trainers share: mini-batches of the training tensors in a seeded random order each
/// epoch, one optimizer step per batch, the epoch's mean loss reported to ML.NET's log channel and to the
/// callback, and early stopping on that loss.
/// </summary>
internal static class ModuleTraining
{
    /// <summary>Trains <paramref name="parameters"/> to lower <paramref name="loss"/> (a batch's mean loss); returns the mean loss of each epoch run.</summary>
    public static IReadOnlyList<double> Run(IChannel channel, string trainer, IEnumerable<Parameter> parameters, Tensor features, Tensor labels,
        Func<Tensor, Tensor, Tensor> loss, ModuleTrainerOptions options)
    {
        var optimizer = options.Optimizer == TrainingOptimizer.Adam
            ? (optim.Optimizer)optim.Adam(parameters, options.LearningRate)
            : optim.SGD(parameters, options.LearningRate);
        var generator = new Generator((ulong)options.Seed);
        long rows = features.shape[0];
        var losses = new List<double>();
        double best = double.PositiveInfinity;
        int epochsWithoutImprovement = 0;
        for (int epoch = 1; epoch <= options.NumberOfEpochs; epoch++)
        {
            double total = 0;
            using (var scope = NewDisposeScope())
            {
                var order = randperm(rows, generator: generator);
                for (long start = 0; start < rows; start += options.BatchSize)
                {
                    using var batchScope = NewDisposeScope();
                    var rowsOfBatch = order.narrow(0, start, Math.Min(options.BatchSize, rows - start));
                    optimizer.zero_grad();
                    var batchLoss = loss(features.index_select(0, rowsOfBatch), labels.index_select(0, rowsOfBatch));
                    batchLoss.backward();
                    optimizer.step();
                    total += batchLoss.ToDouble() * rowsOfBatch.shape[0];
                }
            }
            double mean = total / rows;
            losses.Add(mean);
            channel.Info(MessageSensitivity.None, $"{trainer}: epoch {epoch}/{options.NumberOfEpochs}, mean training loss {mean:G6}");
            options.EpochLossCallback?.Invoke(epoch, mean);
            if (!double.IsFinite(mean))
                throw new InvalidOperationException(
                    $"{trainer}: the training loss became {mean} in epoch {epoch}; lower Options.LearningRate (now {options.LearningRate}).");

            if (best - mean > options.EarlyStoppingTolerance * Math.Abs(best) || double.IsPositiveInfinity(best))
            {
                best = mean;
                epochsWithoutImprovement = 0;
            }
            else if (options.EarlyStoppingPatience > 0 && ++epochsWithoutImprovement >= options.EarlyStoppingPatience)
            {
                channel.Info(MessageSensitivity.None, $"{trainer}: stopping early after epoch {epoch}: no improvement for {epochsWithoutImprovement} epochs.");
                break;
            }
        }
        return losses;
    }
}
