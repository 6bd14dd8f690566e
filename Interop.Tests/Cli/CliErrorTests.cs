using System.Text.Json;
using Interop.Cli;
using Interop.Cli.Commands;

namespace Interop.Tests.Cli;

/// <summary>
/// Every user error of the CLI, run in process: one line on the error stream that names the file and line (and
/// column) or the option, exit code 1 (2 for a wrong command line), no stack trace unless --verbose asks for it.
/// </summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("interop-cli-").FullName;

    public static TheoryData<string> BadData => [.. BadTrainingData.All.Keys];

    [Theory]
    [MemberData(nameof(BadData))]
    public void Bad_data_is_one_line_naming_the_file_and_line(string name)
    {
        var bad = BadTrainingData.All[name];
        string path = WriteFile(name, bad.Content);

        var (exitCode, output, error) = Run(["train", "--data", path, "--epochs", "100000", "--out", Path.Combine(_folder, "out"), .. bad.ExtraArguments]);

        Assert.Equal(CommandLine.Failure, exitCode);
        Assert.StartsWith($"interop train: {path}{bad.Location} ", SingleLine(error));
        Assert.Contains(bad.Says, error);
        Assert.Equal("", output);   // refused before training started
        Assert.False(Directory.Exists(Path.Combine(_folder, "out")), "the output folder is created only after training");
    }

    public static TheoryData<string[], string> WrongCommandLines => new()
    {
        { ["train", "--epochs", "abc"], "interop train: --epochs must be an integer from 1 to 100000; got 'abc'." },
        { ["train", "--epochs"], "interop train: --epochs needs a value." },
        { ["train", "--nan", "maybe"], "interop train: --nan must be error or skip; got 'maybe'." },
        { ["train", "--bogus"], "interop train: unknown option --bogus ('interop train --help' lists the options)." },
        { ["train", "data.tsv"], "interop train: unexpected argument 'data.tsv'." },
        { ["train", "--json=yes"], "interop train: --json takes no value." },
        { ["verify", "--seed", "-1"], "interop verify: --seed must be an integer from 0 to 2147483647; got '-1'." },
        { ["soak", "--seconds", "0"], "interop soak: --seconds must be an integer from 1 to 86400; got '0'." },
        { ["bench", "--alone", "Softmax:8:hand", "--threads", "0"], "interop bench: --threads must be an integer from 1 to 256; got '0'." },
        { ["bench", "--alone", "Nope"], "interop bench: --alone must be MODULE:SHAPE:hand|twin" },
        { ["bench", "--instructions", "--full"], "interop bench: --instructions counts with 1 thread at its own sizes; it takes none of --full, --alone and --threads." },
        { ["bench", "--instructions", "--threads", "2"], "interop bench: --instructions counts with 1 thread at its own sizes; it takes none of --full, --alone and --threads." },
        { ["bench", "--dumps", "dumps"], "interop bench: --dumps keeps the dumps of --instructions; it needs --instructions." },
    };

    [Theory]
    [MemberData(nameof(WrongCommandLines))]
    public void A_wrong_command_line_is_one_line_naming_the_option_and_exit_code_2(string[] args, string message)
    {
        var (exitCode, _, error) = Run(args);
        Assert.Equal(CommandLine.UsageError, exitCode);
        Assert.StartsWith(message, SingleLine(error));
    }

    [Fact]
    public void An_unknown_command_is_one_line_and_exit_code_2()
    {
        var (exitCode, _, error) = Run(["trian"]);
        Assert.Equal(CommandLine.UsageError, exitCode);
        Assert.Equal("interop: unknown command 'trian'. Commands: verify, soak, train, bench.", SingleLine(error));
    }

    [Fact]
    public void A_missing_data_file_or_a_folder_is_named_with_its_option()
    {
        string missing = Path.Combine(_folder, "missing.tsv");
        Assert.Equal((CommandLine.UsageError, $"interop train: --data {missing}: no such file."), Error(["train", "--data", missing]));
        Assert.Equal((CommandLine.UsageError, $"interop train: --data {_folder}: is a folder; expected a file."), Error(["train", "--data", _folder]));
    }

    /// <summary>Dumps are numbered from 1, so a folder that holds anything could mix two runs' dumps; refused before valgrind starts.</summary>
    [Fact]
    public void Bench_dumps_must_go_to_a_new_or_empty_folder()
    {
        string file = WriteFile("a-file", [1]);
        Assert.Equal((CommandLine.UsageError, $"interop bench: --dumps {_folder}: is not empty; expected a new or empty folder."),
            Error(["bench", "--instructions", "--dumps", _folder]));
        Assert.Equal((CommandLine.UsageError, $"interop bench: --dumps {file}: is a file; expected a new or empty folder."),
            Error(["bench", "--instructions", "--dumps", file]));
    }

    /// <summary>
    /// Each of these would otherwise be found when the model is saved, after training; with 100,000 epochs that is
    /// many minutes, and an empty output shows that training never started.
    /// </summary>
    [Fact]
    public void An_unusable_out_folder_is_refused_before_training()
    {
        string file = WriteFile("a-file", [1]);
        string withFolderInTheWay = Directory.CreateDirectory(Path.Combine(_folder, "taken")).FullName;
        Directory.CreateDirectory(Path.Combine(withFolderInTheWay, "model.zip"));
        const string unwritable = "/sys";   // Linux's sysfs, where no one can create a file, root included

        string[] Train(string outFolder) => ["train", "--epochs", "100000", "--out", outFolder];
        Assert.Equal((CommandLine.UsageError, $"interop train: --out {file}: is a file; expected a folder (created if missing)."), Error(Train(file)));
        Assert.Equal((CommandLine.UsageError, $"interop train: --out {file}/run1: {file} is a file, not a folder."), Error(Train($"{file}/run1")));
        Assert.Equal((CommandLine.UsageError, $"interop train: --out {withFolderInTheWay}: {withFolderInTheWay}/model.zip is a folder, where a file is to be written."),
            Error(Train(withFolderInTheWay)));
        Assert.Equal((CommandLine.UsageError, $"interop train: --out {unwritable}/run1: cannot write in {unwritable}: access is denied."), Error(Train($"{unwritable}/run1")));
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_after_the_one_line()
    {
        string path = WriteFile("non-numeric", BadTrainingData.All["non-numeric"].Content);
        var (exitCode, _, error) = Run(["train", "--data", path, "--verbose"]);
        var lines = error.TrimEnd().Split('\n');
        Assert.Equal(CommandLine.Failure, exitCode);
        Assert.Equal($"interop train: {path}:2:3: expected a number for feature 1; got 'abc'.", lines[0]);
        Assert.Contains(lines, line => line.StartsWith("Interop.Cli.CommandFailedException: "));
        Assert.Contains(lines, line => line.TrimStart().StartsWith("at Interop.ML.SampleData."));
    }

    /// <summary>A bug, not a user error: still one line, exit code 1, the first line of the message, a pointer to --verbose.</summary>
    [Fact]
    public void An_unexpected_exception_is_one_line_too()
    {
        var error = new StringWriter();
        int exitCode = CommandLine.Run(["fail"], TextWriter.Null, error, [new FailingCommand()]);
        Assert.Equal(CommandLine.Failure, exitCode);
        Assert.Equal("interop fail: unexpected InvalidOperationException: the first line (--verbose shows the stack trace)", SingleLine(error.ToString()));
    }

    [Fact]
    public void Nan_skip_trains_on_the_rows_without_NaN()
    {
        string path = WriteFile("nan", Text(BadTrainingData.Rows(20, row => row % 2).Replace("0\t4\t8", "0\tNaN\t8")));
        var (exitCode, output, error) = Run(["train", "--data", path, "--nan", "skip", "--epochs", "3", "--json", "--out", Path.Combine(_folder, "out")]);
        Assert.True(exitCode == 0, error);
        using var report = JsonDocument.Parse(output);
        Assert.Equal(19, report.RootElement.GetProperty("trainRows").GetInt32() + report.RootElement.GetProperty("testRows").GetInt32());
    }

    /// <summary>Features near 1e30, whose squares overflow float32, still train to finite parameters (the trainer scales by the features' spread).</summary>
    [Fact]
    public void Features_near_1e30_train_to_finite_parameters()
    {
        string path = WriteFile("huge", Text(string.Concat(Enumerable.Range(1, 20).Select(row => $"{row % 2}\t{row}e30\t{2 * row}e30\n"))));
        var (exitCode, output, error) = Run(["train", "--data", path, "--epochs", "5", "--json", "--out", Path.Combine(_folder, "out")]);
        Assert.True(exitCode == 0, error);
        using var report = JsonDocument.Parse(output);
        Assert.True(double.IsFinite(report.RootElement.GetProperty("beta").GetDouble()) && report.RootElement.GetProperty("beta").GetDouble() > 0);
        Assert.All(report.RootElement.GetProperty("k").EnumerateArray(), k => Assert.True(double.IsFinite(k.GetDouble())));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteFile(string name, byte[] content)
    {
        string path = Path.Combine(_folder, name.Replace(' ', '-').Replace(',', '-') + ".tsv");
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Text(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static (int ExitCode, string Output, string Error) Run(string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int exitCode = CommandLine.Run(args, output, error, [new VerifyCommand(), new SoakCommand(), new TrainCommand(), new BenchCommand()]);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static (int ExitCode, string Error) Error(string[] args)
    {
        var (exitCode, output, error) = Run(args);
        Assert.Equal("", output);
        return (exitCode, SingleLine(error));
    }

    /// <summary>The error stream's one line; fails if there are more, or a stack frame.</summary>
    internal static string SingleLine(string error)
    {
        var lines = error.TrimEnd('\n', '\r').Split('\n');
        Assert.True(lines.Length == 1, $"expected one line; got {lines.Length}:\n{error}");
        Assert.DoesNotContain("   at ", error);
        return lines[0];
    }

    private sealed class FailingCommand : ICommand
    {
        public string Name => "fail";
        public string Summary => "throws what a bug would";
        public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>();
        public int Run(ParsedOptions options, TextWriter output) => throw new InvalidOperationException("the first line\nframe #0: c10::Error");
    }
}
