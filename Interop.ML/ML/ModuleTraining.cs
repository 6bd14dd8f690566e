using Microsoft.ML.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// The training loop both trainers share. One full batch (the default for data held in memory) is optimised by
/// L-BFGS, one iteration per epoch; mini-batches (the default for streamed data) by Adam or SGD, one step per batch,
/// in a new seeded order every epoch. After every epoch the validation rows are scored, the epoch is reported to
/// ML.NET's progress channel, its log and the callback, and early stopping watches the validation loss (or the
/// training loss when there are no validation rows), keeping the parameters of the best epoch.
/// </summary>
internal static class ModuleTraining
{
    /// <summary>What a trainer hands the loop.</summary>
    /// <param name="Name">The trainer's name, for messages.</param>
    /// <param name="Parameters">The parameters to learn.</param>
    /// <param name="Loss">A batch's mean loss from its features and labels.</param>
    /// <param name="Correct">For a classifier, how many rows of a batch it classifies right; null otherwise.</param>
    /// <param name="ElementsPerRow">The elements of the largest tensor that one row makes, for the choice of threads.</param>
    internal sealed record Model(string Name, IReadOnlyList<Parameter> Parameters, Func<Tensor, Tensor, Tensor> Loss,
        Func<Tensor, Tensor, long>? Correct, long ElementsPerRow);

    /// <summary>Trains <paramref name="model"/>; <paramref name="epochCallback"/> hears of every epoch.</summary>
    public static IReadOnlyList<TrainingEpoch> Run(IHost host, IChannel channel, ModuleTrainerOptions options, int seed,
        TrainingRows train, TrainingRows? validation, Model model, Action check, Action<int, double>? epochCallback)
    {
        int batchSize = options.BatchSize ?? (train.InMemory ? (int)Math.Min(train.Count, int.MaxValue) : ModuleTrainerOptions.StreamingBatchSize);
        bool fullBatch = train.InMemory && batchSize >= train.Count;
        var optimizer = options.Optimizer ?? (fullBatch ? TrainingOptimizer.Lbfgs : TrainingOptimizer.Adam);
        if (optimizer == TrainingOptimizer.Lbfgs && !fullBatch)
            throw new ArgumentOutOfRangeException(nameof(options), $"Options.Optimizer Lbfgs needs all {train.Count} training rows in one batch held in memory; got BatchSize {batchSize} and {(train.InMemory ? "the rows in memory" : "rows too many to hold in memory, streamed")}.");
        double learningRate = options.LearningRate ?? optimizer switch
        {
            TrainingOptimizer.Lbfgs => 1.0,
            TrainingOptimizer.Adam => 0.01,
            _ => 0.05,
        };
        channel.Info(MessageSensitivity.None,
            $"{model.Name}: {train.Count} training rows ({(train.InMemory ? "in memory" : "streamed")}), {validation?.Count ?? 0} validation rows; {optimizer}, batch {batchSize}, learning rate {learningRate}, seed {seed}.");

        using var threads = TorchThreads.For(Math.Min(batchSize, train.Count) * model.ElementsPerRow, options.NumberOfThreads);
        using var progress = host.StartProgressChannel($"{model.Name} training");
        var history = new List<TrainingEpoch>();
        int epoch = 0;
        long batchesDone = 0, batchesPerEpoch = (train.Count + batchSize - 1) / batchSize;
        progress.SetHeader(new ProgressHeader(["Training loss", "Validation loss"], ["Epoch", "Batch"]), entry =>
        {
            entry.SetProgress(0, epoch, options.NumberOfEpochs);
            entry.SetProgress(1, batchesDone, batchesPerEpoch);
            if (history.Count > 0)
            {
                entry.SetMetric(0, history[^1].TrainingLoss);
                entry.SetMetric(1, history[^1].ValidationLoss ?? double.NaN);
            }
        });

        using var lbfgs = optimizer == TrainingOptimizer.Lbfgs
            ? new Lbfgs(model.Parameters, () => FullBatchLoss(train, model), learningRate)
            : null;
        using var stepper = optimizer switch
        {
            TrainingOptimizer.Adam => (GradientStep?)new AdamStep(model.Parameters, learningRate),
            TrainingOptimizer.Sgd => new SgdStep(model.Parameters, learningRate),
            _ => null,
        };
        var best = new BestParameters(model.Parameters);
        double bestWatched = double.PositiveInfinity;
        int epochsWithoutImprovement = 0;
        for (epoch = 1; epoch <= options.NumberOfEpochs; epoch++)
        {
            double trainingLoss;
            batchesDone = 0;
            if (lbfgs is not null)
            {
                check();
                trainingLoss = lbfgs.Step();
                batchesDone = 1;
            }
            else
            {
                double total = 0;
                foreach (var (features, labels) in train.Batches(batchSize, seed + epoch))
                {
                    check();
                    using var scope = NewDisposeScope();
                    stepper!.ZeroGrad();
                    var loss = model.Loss(features, labels);
                    loss.backward();
                    stepper.Step();
                    total += loss.ToDouble() * features.shape[0];
                    batchesDone++;
                }
                trainingLoss = total / train.Count;
            }
            if (!double.IsFinite(trainingLoss))
                throw new InvalidOperationException(
                    $"{model.Name}: the training loss became {trainingLoss} in epoch {epoch}; lower Options.LearningRate (now {learningRate}).");

            var (validationLoss, accuracy) = validation is null ? (null, null) : Score(validation, model, check);
            history.Add(new TrainingEpoch(epoch, trainingLoss, validationLoss, accuracy));
            progress.Checkpoint(trainingLoss, validationLoss, epoch);
            channel.Trace(MessageSensitivity.None,
                $"{model.Name}: epoch {epoch}/{options.NumberOfEpochs}, training loss {trainingLoss:G6}{(validationLoss is double v ? $", validation loss {v:G6}" : "")}");
            epochCallback?.Invoke(epoch, trainingLoss);

            double watched = validationLoss ?? trainingLoss;
            if (double.IsPositiveInfinity(bestWatched) || bestWatched - watched > options.EarlyStoppingTolerance * Math.Abs(bestWatched))
            {
                bestWatched = watched;
                epochsWithoutImprovement = 0;
                best.Remember(epoch);
            }
            else if (options.EarlyStoppingPatience > 0 && ++epochsWithoutImprovement >= options.EarlyStoppingPatience)
            {
                channel.Info(MessageSensitivity.None, $"{model.Name}: stopping early after epoch {epoch}: no improvement for {epochsWithoutImprovement} epochs.");
                break;
            }
            if (lbfgs?.Converged == true)
            {
                channel.Info(MessageSensitivity.None, $"{model.Name}: L-BFGS converged after epoch {epoch}.");
                break;
            }
        }
        if (validation is not null && best.Epoch != history.Count)
        {
            best.Restore();
            channel.Info(MessageSensitivity.None, $"{model.Name}: keeping the parameters of epoch {best.Epoch}, the best on the validation rows.");
        }
        best.Dispose();
        return history;
    }

    private static Tensor FullBatchLoss(TrainingRows train, Model model)
    {
        var (features, labels) = train.Batches(int.MaxValue, 0).Single();
        return model.Loss(features, labels);
    }

    private static (double? Loss, double? Accuracy) Score(TrainingRows rows, Model model, Action check)
    {
        if (rows.Count == 0)
            return (null, null);
        double loss = 0;
        long correct = 0;
        using var _ = no_grad();
        foreach (var (features, labels) in rows.Batches(ModuleTrainerOptions.StreamingBatchSize * 8, 0))
        {
            check();
            using var scope = NewDisposeScope();
            loss += model.Loss(features, labels).ToDouble() * features.shape[0];
            correct += model.Correct?.Invoke(features, labels) ?? 0;
        }
        return (loss / rows.Count, model.Correct is null ? null : correct / (double)rows.Count);
    }

    /// <summary>A copy of the parameters at the best epoch so far.</summary>
    private sealed class BestParameters(IReadOnlyList<Parameter> parameters) : IDisposable
    {
        private Tensor[]? _values;

        public int Epoch { get; private set; }

        public void Remember(int epoch)
        {
            Epoch = epoch;
            using var _ = no_grad();
            if (_values is null)
            {
                _values = parameters.Select(parameter => parameter.detach().clone().DetachFromDisposeScope()).ToArray();
                return;
            }
            for (int i = 0; i < parameters.Count; i++)
                _values[i].copy_(parameters[i]);
        }

        public void Restore()
        {
            using var _ = no_grad();
            for (int i = 0; i < parameters.Count; i++)
                parameters[i].copy_(_values![i]);
        }

        public void Dispose()
        {
            foreach (var value in _values ?? [])
                value.Dispose();
        }
    }
}
