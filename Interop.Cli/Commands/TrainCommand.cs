using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Interop.Cli.Plotting;
using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.Cli.Commands;

/// <summary>
/// Trains the energy-based classifier on Iris (embedded) or a labelled TSV file, reports the learned β and K and the
/// held-out metrics, and writes the ML.NET model (model.zip) and the loss curve (loss.png).
/// </summary>
internal sealed class TrainCommand : ICommand
{
    private const double TestFraction = 0.2;
    private const int SplitSeed = 1;

    public string Name => "train";
    public string Summary => "train the energy classifier in ML.NET; write model.zip and loss.png";
    public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>
    {
        ["data="] = "tab-separated file: label, then features; '#' lines skipped (default: the embedded Iris data)",
        ["out="] = "folder for model.zip and loss.png (default: ./interop-train)",
        ["epochs="] = "passes over the training data (default 100)",
        ["seed="] = "seed of the training order (default 0)",
        ["json"] = "print the metrics, learned parameters and file paths as JSON",
    };

    public int Run(ParsedOptions options, TextWriter output)
    {
        bool json = options.Flag("json");
        string outDirectory = Path.GetFullPath(options.Value("out") ?? "interop-train");
        string? dataPath = options.Value("data");
        var trainerOptions = new EnergyClassifierTrainer.Options
        {
            NumberOfEpochs = options.Int("epochs", 100, 1, 100_000),
            Seed = options.Int("seed", 0, 0, int.MaxValue),
        };
        if (dataPath is not null && !File.Exists(dataPath))
            throw new UsageException($"--data: no such file '{dataPath}'.");

        var context = new MLContext(seed: SplitSeed);
        var data = dataPath is null ? SampleData.Iris() : SampleData.LoadLabeledTsv(dataPath);
        var split = context.Data.TrainTestSplit(data, TestFraction, seed: SplitSeed);
        var progress = json ? null : new ProgressBar(output, trainerOptions.NumberOfEpochs);
        trainerOptions.EpochLossCallback = (epoch, loss) => progress?.Report(epoch, loss);

        var clock = Stopwatch.StartNew();
        var trainer = context.MulticlassClassification.Trainers.EnergyClassifier(trainerOptions);
        var model = context.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Fit(split.TrainSet);
        progress?.Finish();
        var classifier = model.LastTransformer;
        var metrics = context.MulticlassClassification.Evaluate(model.Transform(split.TestSet));

        Directory.CreateDirectory(outDirectory);
        string modelPath = Path.Combine(outDirectory, "model.zip");
        string plotPath = Path.Combine(outDirectory, "loss.png");
        context.Model.Save(model, split.TrainSet.Schema, modelPath);
        LossPlot.Save(classifier.LossHistory, $"Energy classifier on {(dataPath is null ? "Iris" : Path.GetFileName(dataPath))}", plotPath);

        var report = new TrainReport(
            dataPath ?? "embedded Iris",
            split.TrainSet.GetColumn<float>("Label").Count(), split.TestSet.GetColumn<float>("Label").Count(),
            classifier.LossHistory.Count, Math.Round(clock.Elapsed.TotalSeconds, 2),
            classifier.Model.Beta, classifier.Model.K.Select(k => (double)k).ToArray(),
            metrics.MicroAccuracy, metrics.LogLoss, modelPath, plotPath);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        else
            WriteText(output, report);
        return 0;
    }

    private static void WriteText(TextWriter output, TrainReport report)
    {
        var invariant = CultureInfo.InvariantCulture;
        output.WriteLine($"Trained on {report.Data}: {report.TrainRows} rows for training, {report.TestRows} held out ({TestFraction:P0}, split seed {SplitSeed}); {report.Epochs} epochs in {report.Seconds.ToString(invariant)} s.");
        output.WriteLine($"learned β = {report.Beta.ToString("G6", invariant)}");
        output.WriteLine($"learned K = [{string.Join(", ", report.K.Select(k => k.ToString("F4", invariant)))}]  (root-mean-square 1)");
        output.WriteLine($"held-out accuracy = {report.Accuracy.ToString("F4", invariant)}");
        output.WriteLine($"held-out log-loss = {report.LogLoss.ToString("F4", invariant)}");
        output.WriteLine($"model:      {report.ModelPath}");
        output.WriteLine($"loss curve: {report.LossPlotPath}");
    }

    private sealed record TrainReport(string Data, int TrainRows, int TestRows, int Epochs, double Seconds, double Beta, double[] K,
        double Accuracy, double LogLoss, string ModelPath, string LossPlotPath);

    /// <summary>A one-line progress bar, redrawn in place with a carriage return.</summary>
    private sealed class ProgressBar(TextWriter output, int epochs)
    {
        private const int Width = 30;

        public void Report(int epoch, double loss)
        {
            int filled = epoch * Width / epochs;
            output.Write($"\rtraining [{new string('#', filled)}{new string('.', Width - filled)}] epoch {epoch}/{epochs}  loss {loss.ToString("F4", CultureInfo.InvariantCulture)}");
        }

        public void Finish() => output.WriteLine();
    }
}
