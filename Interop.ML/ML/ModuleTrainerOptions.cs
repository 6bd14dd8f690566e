using Microsoft.ML;

namespace Interop.ML;

/// <summary>
/// Options shared by the trainers that learn the parameters of Interop's modules from an IDataView. The defaults
/// adapt to the data: a training set whose features fit in <see cref="TrainingRows.InMemoryElements"/> elements
/// (16 MiB of float) is held in memory and optimised as one batch by L-BFGS; a larger one is streamed from the
/// IDataView in mini-batches of 1024 rows for Adam. Training stops when the watched loss (on
/// <see cref="ValidationSet"/> or held-out rows when there are any, else the training loss) has not improved for
/// <see cref="EarlyStoppingPatience"/> epochs; with validation rows it keeps the parameters of the best epoch.
/// </summary>
public abstract class ModuleTrainerOptions
{
    /// <summary>The rows per mini-batch when the training rows are streamed.</summary>
    public const int StreamingBatchSize = 1024;

    /// <summary>The feature column. Default: "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The label column. Default: "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Passes over the training data, at most; with one full batch, one pass is one L-BFGS iteration. Default: 100.</summary>
    public int NumberOfEpochs { get; set; } = 100;

    /// <summary>
    /// Rows per optimizer step. Default (null): all training rows when they are held in memory, else
    /// <see cref="StreamingBatchSize"/>.
    /// </summary>
    public int? BatchSize { get; set; }

    /// <summary>The optimizer. Default (null): L-BFGS when the batch holds every training row, else Adam.</summary>
    public TrainingOptimizer? Optimizer { get; set; }

    /// <summary>
    /// The optimizer's learning rate; for L-BFGS, the first trial step of its line search. Default (null): 1 for L-BFGS,
    /// 0.01 for Adam, 0.05 for SGD.
    /// </summary>
    public double? LearningRate { get; set; }

    /// <summary>
    /// Seeds the initialisation, the held-out rows and the order of the rows in every epoch; the same seed and data
    /// give the same model. Default (null): drawn from the MLContext's random source, as ML.NET's own trainers do, so
    /// <c>new MLContext(seed)</c> fixes it.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Stop when the watched loss (on <see cref="ValidationSet"/>, else on the held-out rows, else the training loss)
    /// has not improved on the best so far by more than <see cref="EarlyStoppingTolerance"/> (relative) for this many
    /// epochs in a row. 0 trains every epoch. Default: 10.
    /// </summary>
    public int EarlyStoppingPatience { get; set; } = 10;

    /// <summary>The relative improvement of the watched loss that counts for early stopping. Default: 1e-4.</summary>
    public double EarlyStoppingTolerance { get; set; } = 1e-4;

    /// <summary>
    /// The fraction of the training rows held out (chosen by ML.NET's row ids and the seed) to watch for early stopping
    /// when no <see cref="ValidationSet"/> is given. Default: 0, which trains on every row: on the comparison's data sets
    /// holding out a tenth cost 0.5–2.6 points of accuracy (docs/ml-comparison.md).
    /// </summary>
    public double HoldOutFraction { get; set; }

    /// <summary>
    /// Rows to report validation metrics on after every epoch and to watch for early stopping, with the same columns as
    /// the training data; training then uses every training row. Default: null.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>What to do with training rows that hold NaN: throw (default) or leave them out.</summary>
    public NaNPolicy NaNPolicy { get; set; } = NaNPolicy.Error;

    /// <summary>
    /// libtorch's intra-op threads during training, restored afterwards. Default (null): one thread for batches small
    /// enough that threads cost more than they save, libtorch's own count otherwise.
    /// </summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Stops training with <see cref="OperationCanceledException"/>, checked before every batch. The MLContext's own
    /// cancellation (what AutoML uses for a trial's time-out) is honoured too.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Called after every epoch with the epoch's number (from 1) and its mean training loss.</summary>
    public Action<int, double>? EpochLossCallback { get; set; }

    /// <summary>Checks the options; messages name the option, what it must be and what it is.</summary>
    internal virtual void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(FeatureColumnName, nameof(FeatureColumnName));
        ArgumentException.ThrowIfNullOrEmpty(LabelColumnName, nameof(LabelColumnName));
        Require(NumberOfEpochs >= 1, nameof(NumberOfEpochs), "at least 1", NumberOfEpochs);
        Require(BatchSize is null or >= 1, nameof(BatchSize), "at least 1 or null", BatchSize!);
        Require(LearningRate is null || (LearningRate > 0 && double.IsFinite(LearningRate.Value)), nameof(LearningRate), "positive and finite, or null", LearningRate!);
        Require(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), "0 or more", EarlyStoppingPatience);
        Require(EarlyStoppingTolerance >= 0, nameof(EarlyStoppingTolerance), "0 or more", EarlyStoppingTolerance);
        Require(HoldOutFraction is >= 0 and < 1, nameof(HoldOutFraction), "in [0, 1)", HoldOutFraction);
        Require(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), "at least 1 or null", NumberOfThreads!);
    }

    private protected static void Require(bool condition, string option, string expected, object? got)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, got, $"Options.{option} must be {expected}; got {got ?? "null"}.");
    }
}
