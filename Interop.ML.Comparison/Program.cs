using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML.Comparison;

/// <summary>
/// The energy classifier against ML.NET's SdcaMaximumEntropy, LbfgsMaximumEntropy and LightGbm: 5-fold CrossValidate
/// with the same folds (seed 1), every trainer with its defaults after NormalizeMeanVariance, on Iris, Wine, Breast
/// Cancer and Digits. Each cell runs in a process of its own and reports micro-accuracy, the process CPU seconds of the
/// cross-validation (first run, which loads and compiles everything, and a second, warm run in the same process) and its
/// wall time. --busy keeps one core busy with a spinning process while measuring; --memory measures the peak RSS growth
/// during Fit on a lazy source of 1M × 100 rows instead. --check exits 1 when the energy classifier's accuracy on a data
/// set is more than one point below the best of the other trainers run (accuracies are deterministic: fixed seeds).
/// </summary>
internal static class Program
{
    private static readonly string[] AllData = ["iris", "wine", "breast_cancer", "digits"];
    private static readonly string[] AllTrainers = ["energy", "sdca", "lbfgs", "lightgbm"];
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static int Main(string[] args)
    {
        try
        {
            return args switch
            {
                ["--cell", var data, var trainer] => Cell(data, trainer),
                ["--memory-cell", var trainer, var rows] => MemoryCell(trainer, long.Parse(rows, CultureInfo.InvariantCulture)),
                ["--spin"] => Spin(),
                _ => Table(args),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("usage: Interop.ML.Comparison [--data iris,wine,breast_cancer,digits] [--trainers energy,'energy:p=2;holdout=0',sdca,lbfgs,lightgbm] [--busy] [--check] [--memory [--rows N]]");
            return 2;
        }
    }

    private static int Table(string[] args)
    {
        string? Value(string name) => args.SkipWhile(arg => arg != name).Skip(1).FirstOrDefault();
        var data = (Value("--data") ?? string.Join(',', AllData)).Split(',');
        var trainers = (Value("--trainers") ?? string.Join(',', AllTrainers)).Split(',');
        using var spinner = args.Contains("--busy") ? Child("--spin") : null;
        var failures = new List<string>();
        Console.WriteLine($"# {DateTime.UtcNow:u}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {(spinner is null ? "no extra load" : "one core kept busy by a spinning process")}");
        if (args.Contains("--memory"))
        {
            string rows = Value("--rows") ?? "1000000";
            Console.WriteLine("| trainer | rows × features | peak RSS growth during Fit (MiB) | Fit CPU s |");
            Console.WriteLine("|---|---|--:|--:|");
            foreach (var trainer in trainers)
            {
                var result = JsonSerializer.Deserialize<MemoryResult>(Run("--memory-cell", trainer, rows), Json)!;
                Console.WriteLine($"| {trainer} | {result.Rows} × {result.Features} | {result.PeakGrowthMiB:F0} | {result.CpuSeconds:F1} |");
            }
        }
        else
        {
            Console.WriteLine("| data | trainer | micro-accuracy | CPU s (first run) | CPU s (warm) | wall s (warm) |");
            Console.WriteLine("|---|---|--:|--:|--:|--:|");
            foreach (var set in data)
            {
                var accuracy = new Dictionary<string, double>();
                foreach (var trainer in trainers)
                {
                    var result = JsonSerializer.Deserialize<CellResult>(Run("--cell", set, trainer), Json)!;
                    accuracy[trainer] = result.Accuracy;
                    Console.WriteLine($"| {set} | {trainer} | {result.Accuracy:F4} | {result.ColdCpuSeconds:F2} | {result.WarmCpuSeconds:F2} | {result.WarmWallSeconds:F2} |");
                }
                var stock = accuracy.Where(entry => !entry.Key.StartsWith("energy")).ToList();
                if (args.Contains("--check") && accuracy.TryGetValue("energy", out double energy) && stock.Count > 0 && energy < stock.Max(entry => entry.Value) - 0.01)
                    failures.Add($"{set}: energy {energy:F4} is more than 1 point below {stock.MaxBy(entry => entry.Value).Key} {stock.Max(entry => entry.Value):F4}");
            }
        }
        spinner?.Kill();
        foreach (var failure in failures)
            Console.Error.WriteLine($"check failed: {failure}");
        return failures.Count == 0 ? 0 : 1;
    }

    private static int Cell(string data, string trainer)
    {
        var context = new MLContext(seed: 1);
        var rows = Load(data);
        var pipeline = context.Transforms.Conversion.MapValueToKey("Label")
            .Append(context.Transforms.NormalizeMeanVariance("Features"))
            .Append(Trainer(context, trainer));
        var (accuracy, coldCpu, _) = CrossValidate(context, rows, pipeline);
        var (_, warmCpu, warmWall) = CrossValidate(context, rows, pipeline);
        Console.WriteLine(JsonSerializer.Serialize(new CellResult(accuracy, coldCpu, warmCpu, warmWall), Json));
        return 0;
    }

    private static (double Accuracy, double Cpu, double Wall) CrossValidate(MLContext context, IDataView data, IEstimator<ITransformer> pipeline)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var folds = context.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 5, seed: 1);
        process.Refresh();
        return (folds.Average(fold => fold.Metrics.MicroAccuracy), (process.TotalProcessorTime - cpu).TotalSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Fit on a lazy source (nothing held, rows made as they are read), after a warm-up Fit that loads every library.</summary>
    private static int MemoryCell(string trainer, long rows)
    {
        const int features = 100;
        var context = new MLContext(seed: 1);
        IEstimator<ITransformer> Pipeline() => context.Transforms.Conversion.MapValueToKey("Label").Append(Trainer(context, trainer));
        Pipeline().Fit(Lazy(context, 2000, features));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Status("VmRSS");
        // Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS (Linux 4.0 and later).
        File.WriteAllText("/proc/self/clear_refs", "5");
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        Pipeline().Fit(Lazy(context, rows, features));
        process.Refresh();
        long peak = Status("VmHWM");
        Console.WriteLine(JsonSerializer.Serialize(new MemoryResult(rows, features, (peak - before) / 1024.0, (process.TotalProcessorTime - cpu).TotalSeconds), Json));
        return 0;
    }

    private static IDataView Lazy(MLContext context, long rows, int features)
    {
        IEnumerable<LazyRow> Rows()
        {
            var random = new Random(7);
            var row = new LazyRow { Features = new float[features] };
            for (long i = 0; i < rows; i++)
            {
                int label = random.Next(3);
                for (int j = 0; j < features; j++)
                    row.Features[j] = (float)(random.NextDouble() + (j % 3 == label ? 0.5 : 0));
                row.Label = label;
                yield return row;
            }
        }
        var schema = SchemaDefinition.Create(typeof(LazyRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return context.Data.LoadFromEnumerable(Rows(), schema);
    }

    private static long Status(string field) => long.Parse(File.ReadLines("/proc/self/status").First(line => line.StartsWith(field + ":"))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static IEstimator<ITransformer> Trainer(MLContext context, string name) => name switch
    {
        "energy" => context.MulticlassClassification.Trainers.EnergyClassifier(),
        _ when name.StartsWith("energy:") => context.MulticlassClassification.Trainers.EnergyClassifier(EnergyOptions(name["energy:".Length..])),
        "sdca" => context.MulticlassClassification.Trainers.SdcaMaximumEntropy(),
        "lbfgs" => context.MulticlassClassification.Trainers.LbfgsMaximumEntropy(),
        "lightgbm" => context.MulticlassClassification.Trainers.LightGbm(),
        _ => throw new ArgumentException($"--trainers: unknown trainer '{name}'; expected energy, energy-pN, sdca, lbfgs or lightgbm."),
    };

    /// <summary>Options other than the defaults, as "key=value;…" with keys p, holdout, epochs, patience, batch.</summary>
    private static EnergyClassifierTrainer.Options EnergyOptions(string settings)
    {
        var options = new EnergyClassifierTrainer.Options();
        foreach (var setting in settings.Split(';'))
        {
            var (key, value) = (setting.Split('=')[0], setting.Split('=')[^1]);
            double number = double.Parse(value, CultureInfo.InvariantCulture);
            switch (key)
            {
                case "p": options.PrototypesPerClass = (int)number; break;
                case "holdout": options.HoldOutFraction = number; break;
                case "epochs": options.NumberOfEpochs = (int)number; break;
                case "patience": options.EarlyStoppingPatience = (int)number; break;
                case "batch": options.BatchSize = (int)number; break;
                default: throw new ArgumentException($"--trainers: unknown energy option '{key}'; expected p, holdout, epochs, patience or batch.");
            }
        }
        return options;
    }

    private static IDataView Load(string name) => name == "iris"
        ? SampleData.Iris()
        : AllData.Contains(name)
            ? SampleData.LoadLabeledTsv(Path.Combine(AppContext.BaseDirectory, "Data", name + ".tsv"))
            : throw new ArgumentException($"--data: unknown data set '{name}'; expected {string.Join(", ", AllData)}.");

    private static string Run(params string[] args)
    {
        using var child = Child(args);
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return child.ExitCode == 0 ? output : throw new InvalidOperationException($"{string.Join(' ', args)} failed: {child.StandardError.ReadToEnd()}");
    }

    private static Process Child(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!Environment.ProcessPath!.EndsWith("Interop.ML.Comparison", StringComparison.Ordinal))
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static int Spin()
    {
        for (ulong i = 0; ; i++)
        {
            if (i == ulong.MaxValue)
                Console.WriteLine(i);
        }
    }

    private sealed record CellResult(double Accuracy, double ColdCpuSeconds, double WarmCpuSeconds, double WarmWallSeconds);

    private sealed record MemoryResult(long Rows, int Features, double PeakGrowthMiB, double CpuSeconds);

    private sealed class LazyRow
    {
        public float Label { get; set; }
        public float[] Features { get; set; } = [];
    }
}
