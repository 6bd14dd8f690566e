namespace Interop.ML;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">The epoch's number, from 1.</param>
/// <param name="TrainingLoss">The mean training loss over the epoch's batches (for one full batch, at the end of the epoch's step).</param>
/// <param name="ValidationLoss">The mean loss on the validation rows (the ValidationSet, else the held-out rows) after the epoch, or null when there are none.</param>
/// <param name="ValidationAccuracy">For a classifier, the fraction of validation rows classified right after the epoch; otherwise null.</param>
public sealed record TrainingEpoch(int Epoch, double TrainingLoss, double? ValidationLoss, double? ValidationAccuracy);
