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
    private const string ModelFileName = "model.zip";
    private const string PlotFileName = "loss.png";

    /// <summary>The fewest rows of which <see cref="TestFraction"/> is at least one.</summary>
    private static readonly int MinimumRows = (int)Math.Ceiling(1 / TestFraction);

    public string Name => "train";
    public string Summary => "train the energy classifier in ML.NET; write model.zip and loss.png";
    public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>
    {
        ["data="] = "tab-separated file: label, then features; '#' lines skipped (default: the embedded Iris data)",
        ["nan="] = "a row with NaN: error (default: stop, naming its file:line:column) or skip (leave the row out)",
        ["out="] = "folder for model.zip and loss.png, checked before training (default: ./interop-train)",
        ["epochs="] = "passes over the training data (default 100)",
        ["seed="] = "seed of the training order (default 0)",
        ["json"] = "print the metrics, learned parameters and file paths as JSON",
    };

    public int Run(ParsedOptions options, TextWriter output)
    {
        bool json = options.Flag("json");
        string? dataPath = options.Value("data");
        var nanPolicy = options.Choice("nan", "error", "skip") == "skip" ? NaNPolicy.SkipRow : NaNPolicy.Error;
        var trainerOptions = new EnergyClassifierTrainer.Options
        {
            NumberOfEpochs = options.Int("epochs", 100, 1, 100_000),
            Seed = options.Int("seed", 0, 0, int.MaxValue),
        };
        if (dataPath is not null && !File.Exists(dataPath))
            throw new UsageException($"--data {dataPath}: {(Directory.Exists(dataPath) ? "is a folder; expected a file" : "no such file")}.");
        string outDirectory = OutputFolder.Check("out", options.Value("out") ?? "interop-train", [ModelFileName, PlotFileName]);

        string source = dataPath ?? "embedded Iris";
        var context = new MLContext(seed: SplitSeed);
        var data = dataPath is null ? SampleData.Iris() : Load(dataPath, nanPolicy);
        var split = Split(context, data, source);
        var progress = json ? null : new ProgressBar(output, trainerOptions.NumberOfEpochs);
        trainerOptions.EpochLossCallback = (epoch, loss) => progress?.Report(epoch, loss);

        var clock = Stopwatch.StartNew();
        var trainer = context.MulticlassClassification.Trainers.EnergyClassifier(trainerOptions);
        TransformerChain<EnergyClassifierTransformer> model;
        try
        {
            model = context.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Fit(split.TrainSet);
        }
        finally
        {
            progress?.Finish();
        }
        var classifier = model.LastTransformer;
        var metrics = context.MulticlassClassification.Evaluate(model.Transform(split.TestSet));

        Directory.CreateDirectory(outDirectory);
        string modelPath = Path.Combine(outDirectory, ModelFileName);
        string plotPath = Path.Combine(outDirectory, PlotFileName);
        context.Model.Save(model, split.TrainSet.Schema, modelPath);
        LossPlot.Save(classifier.LossHistory, $"Energy classifier on {(dataPath is null ? "Iris" : Path.GetFileName(dataPath))}", plotPath);

        var report = new TrainReport(
            source, Count(split.TrainSet), Count(split.TestSet),
            classifier.LossHistory.Count, Math.Round(clock.Elapsed.TotalSeconds, 2),
            classifier.Model.Beta, classifier.Model.K.Select(k => (double)k).ToArray(),
            metrics.MicroAccuracy, metrics.LogLoss, modelPath, plotPath);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        else
            WriteText(output, report);
        return 0;
    }

    /// <summary>Reads the data file; what is wrong with it comes back as one line that names the file, line and column.</summary>
    private static IDataView Load(string path, NaNPolicy nanPolicy)
    {
        try
        {
            return SampleData.LoadLabeledTsv(path, nanPolicy);
        }
        catch (NotFiniteNumberException e) when (double.IsNaN(e.OffendingNumber))
        {
            throw new CommandFailedException($"{e.Message} Pass --nan skip to leave rows with NaN out.", e);
        }
        catch (Exception e) when (e is FormatException or NotFiniteNumberException or IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(e.Message, e);
        }
    }

    /// <summary>
    /// Holds out <see cref="TestFraction"/> of the rows for the held-out metrics, and refuses data on which they would
    /// be a score on nothing: too few rows, one class, or a split that leaves no test rows or one class to train on.
    /// </summary>
    private static DataOperationsCatalog.TrainTestData Split(MLContext context, IDataView data, string source)
    {
        var labels = Labels(data);
        if (labels.Count < MinimumRows)
            throw new CommandFailedException($"{source}: {Rows(labels.Count)}, too few to hold out {TestFraction:P0} for testing; at least {MinimumRows} are needed.");
        if (labels.Distinct().Count() < 2)
            throw new CommandFailedException($"{source}: all {Rows(labels.Count)} have the label {Label(labels[0])}; the classifier needs at least 2 classes.");

        var split = context.Data.TrainTestSplit(data, TestFraction, seed: SplitSeed);
        var (train, test) = (Labels(split.TrainSet), Labels(split.TestSet));
        string splitName = $"the {TestFraction:P0} split (seed {SplitSeed}) of its {Rows(labels.Count)}";
        if (test.Count == 0)
            throw new CommandFailedException($"{source}: {splitName} holds out none; give more rows.");
        if (train.Distinct().Count() < 2)
            throw new CommandFailedException($"{source}: {splitName} leaves {Rows(train.Count)} to train on, all with the label {Label(train[0])}; the classifier needs at least 2 classes.");
        if (test.Except(train).ToList() is [var unseen, ..])
            throw new CommandFailedException($"{source}: {splitName} holds out every row with the label {Label(unseen)}, so the model cannot learn that class; give more rows of it.");
        return split;
    }

    private static List<float> Labels(IDataView data) => data.GetColumn<float>("Label").ToList();

    private static int Count(IDataView data) => data.GetColumn<float>("Label").Count();

    private static string Rows(int count) => count == 1 ? "1 data row" : $"{count} data rows";

    private static string Label(float label) => label.ToString(CultureInfo.InvariantCulture);

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
        private bool _drawn;

        public void Report(int epoch, double loss)
        {
            _drawn = true;
            int filled = epoch * Width / epochs;
            output.Write($"\rtraining [{new string('#', filled)}{new string('.', Width - filled)}] epoch {epoch}/{epochs}  loss {loss.ToString("F4", CultureInfo.InvariantCulture)}");
        }

        /// <summary>Ends the bar's line, if it drew one, so that what follows, an error included, starts on a line of its own.</summary>
        public void Finish()
        {
            if (_drawn)
                output.WriteLine();
        }
    }
}
