namespace Interop.ML;

/// <summary>Options shared by the trainers that learn the parameters of Interop's modules from an IDataView.</summary>
public abstract class ModuleTrainerOptions
{
    /// <summary>The feature column. Default: "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The label column. Default: "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Passes over the training data, at most (early stopping may end sooner). Default: 100.</summary>
    public int NumberOfEpochs { get; set; } = 100;

    /// <summary>Rows per optimizer step. Default: 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>The optimizer's learning rate. Default: 0.05.</summary>
    public double LearningRate { get; set; } = 0.05;

    /// <summary>The optimizer. Default: <see cref="TrainingOptimizer.Adam"/>.</summary>
    public TrainingOptimizer Optimizer { get; set; } = TrainingOptimizer.Adam;

    /// <summary>Seeds the order of the rows in every epoch; the same seed and data give the same model. Default: 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// Stop when the epoch's mean training loss has not improved on the best so far by more than
    /// <see cref="EarlyStoppingTolerance"/> (relative) for this many epochs in a row. 0 (default) trains every epoch.
    /// </summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>The relative improvement of the loss that counts for early stopping. Default: 1e-4.</summary>
    public double EarlyStoppingTolerance { get; set; } = 1e-4;

    /// <summary>What to do with training rows that hold NaN: throw (default) or leave them out.</summary>
    public NaNPolicy NaNPolicy { get; set; } = NaNPolicy.Error;

    /// <summary>Called after every epoch with the epoch's number (from 1) and its mean training loss.</summary>
    public Action<int, double>? EpochLossCallback { get; set; }

    /// <summary>Checks the options; messages name the option, what it must be and what it is.</summary>
    internal virtual void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(FeatureColumnName, nameof(FeatureColumnName));
        ArgumentException.ThrowIfNullOrEmpty(LabelColumnName, nameof(LabelColumnName));
        Require(NumberOfEpochs >= 1, nameof(NumberOfEpochs), "at least 1", NumberOfEpochs);
        Require(BatchSize >= 1, nameof(BatchSize), "at least 1", BatchSize);
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), "positive and finite", LearningRate);
        Require(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), "0 or more", EarlyStoppingPatience);
        Require(EarlyStoppingTolerance >= 0, nameof(EarlyStoppingTolerance), "0 or more", EarlyStoppingTolerance);
    }

    private protected static void Require(bool condition, string option, string expected, object got)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, got, $"Options.{option} must be {expected}; got {got}.");
    }
}
