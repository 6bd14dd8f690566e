using System.Runtime.Versioning;
using Interop.Tests.Reliability;

namespace Interop.Tests.Cli;

/// <summary>
/// The CLI as its own process. Before the CLI caught its errors, each of these inputs let an exception escape Main,
/// and the .NET runtime answers that with a stack trace and abort(): exit code 134. Here each must end with exit
/// code 1 and one line, and the process must leave nothing in its temporary folder.
/// </summary>
public sealed class CliProcessTests : IDisposable
{
    private static readonly string Cli = ChildProcess.BuiltDll("Interop.Cli", "Interop.Cli");
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The one file that may stay: ONNX Runtime's native code keeps a session id in "$TMPDIR/.ses", read from the
    /// environment the process started with, and reuses it on every run, so it never accumulates.
    /// </summary>
    private const string OnnxRuntimeSessionFile = ".ses";

    private readonly string _folder = Directory.CreateTempSubdirectory("interop-cli-process-").FullName;

    /// <summary>Every case of <see cref="BadTrainingData"/> that ended in exit code 134 before.</summary>
    public static TheoryData<string> FormerAborts =>
    [
        "empty", "header only", "header without #", "binary", "ragged, short", "ragged, long", "non-numeric", "empty field",
        "space-separated", "comma-separated", "comma decimals", "one class", "1 row", "split leaves one class to train on",
        "NaN feature", "NaN label", "NaN in every row, skipped", "beyond float32",
    ];

    [Theory]
    [MemberData(nameof(FormerAborts))]
    public void Bad_data_ends_the_process_with_exit_code_1_and_one_line(string name)
    {
        var bad = BadTrainingData.All[name];
        string data = Path.Combine(_folder, "data.tsv");
        File.WriteAllBytes(data, bad.Content);

        var (exitCode, _, errors, leftBehind) = RunWithOwnTemporaryFolder(["train", "--data", data, "--out", Path.Combine(_folder, "out"), .. bad.ExtraArguments]);

        Assert.True(exitCode == 1, $"exit code {exitCode}: {errors}");
        Assert.StartsWith($"interop train: {data}{bad.Location} ", CliErrorTests.SingleLine(errors));
        Assert.Empty(leftBehind);
    }

    /// <summary>Each of these used to be found after training, and end in exit code 134.</summary>
    [Fact]
    public void An_unusable_out_folder_ends_the_process_with_exit_code_2_before_training()
    {
        string file = Path.Combine(_folder, "a-file");
        File.WriteAllBytes(file, [1]);
        string taken = Directory.CreateDirectory(Path.Combine(_folder, "taken", "model.zip")).Parent!.FullName;
        foreach (var (outFolder, message) in new[]
        {
            (file, $"--out {file}: is a file; expected a folder (created if missing)."),
            ($"{file}/run1", $"--out {file}/run1: {file} is a file, not a folder."),
            (taken, $"--out {taken}: {taken}/model.zip is a folder, where a file is to be written."),
            ("/sys/run1", "--out /sys/run1: cannot write in /sys: access is denied."),
        })
        {
            var (exitCode, output, errors, _) = RunWithOwnTemporaryFolder("train", "--epochs", "100000", "--out", outFolder);
            Assert.True(exitCode == 2, $"exit code {exitCode}: {errors}");
            Assert.StartsWith($"interop train: {message}", CliErrorTests.SingleLine(errors));
            Assert.Equal("", output);
        }
    }

    /// <summary>ML.NET's OnnxTransformer leaves a copy of each ONNX model it scores with in the temporary folder; the CLI's own folder takes them.</summary>
    [Fact]
    public void Train_leaves_nothing_in_the_temporary_folder()
    {
        var (exitCode, output, errors, leftBehind) = RunWithOwnTemporaryFolder("train", "--epochs", "3", "--json", "--out", Path.Combine(_folder, "out"));
        Assert.True(exitCode == 0, errors);
        Assert.Contains("\"accuracy\"", output);
        Assert.Empty(leftBehind);
        Assert.True(File.Exists(Path.Combine(_folder, "out", "model.zip")));
    }

    [Fact]
    public void Bench_instructions_without_valgrind_is_one_line()
    {
        string noTools = Directory.CreateDirectory(Path.Combine(_folder, "no-tools")).FullName;
        var (exitCode, output, errors, leftBehind) = RunWithOwnTemporaryFolder(new Dictionary<string, string> { ["PATH"] = noTools }, "bench", "--instructions");
        Assert.True(exitCode == 2, $"exit code {exitCode}: {errors}");
        Assert.Equal("interop bench: --instructions runs valgrind, which is not on PATH (Debian: apt-get install valgrind).", CliErrorTests.SingleLine(errors));
        Assert.Equal("", output);
        Assert.Empty(leftBehind);
    }

    /// <summary>A valgrind that fails before the count starts (a stand-in script here): its message, in one line.</summary>
    [Fact]
    [SupportedOSPlatform("linux")] // --instructions runs on Linux only
    public void Bench_instructions_with_a_failing_valgrind_is_one_line()
    {
        string tools = Directory.CreateDirectory(Path.Combine(_folder, "tools")).FullName;
        string valgrind = Path.Combine(tools, "valgrind");
        File.WriteAllText(valgrind, "#!/bin/sh\necho 'valgrind: the first line' >&2\necho 'valgrind: the last line' >&2\nexit 1\n");
        File.SetUnixFileMode(valgrind, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var (exitCode, _, errors, leftBehind) = RunWithOwnTemporaryFolder(new Dictionary<string, string> { ["PATH"] = tools }, "bench", "--instructions");
        Assert.True(exitCode == 1, $"exit code {exitCode}: {errors}");
        Assert.Equal("interop bench: the count under valgrind failed (exit code 1): valgrind: the last line; --dumps FOLDER keeps valgrind's log.",
            CliErrorTests.SingleLine(errors));
        Assert.Empty(leftBehind);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs the CLI with TMPDIR at a fresh folder; returns what it printed and what it left in that folder.</summary>
    private (int ExitCode, string Output, string Errors, string[] LeftBehind) RunWithOwnTemporaryFolder(params string[] arguments) =>
        RunWithOwnTemporaryFolder(new Dictionary<string, string>(), arguments);

    /// <summary>As <see cref="RunWithOwnTemporaryFolder(string[])"/>, with <paramref name="environment"/> added.</summary>
    private (int ExitCode, string Output, string Errors, string[] LeftBehind) RunWithOwnTemporaryFolder(Dictionary<string, string> environment, params string[] arguments)
    {
        string temporary = Directory.CreateDirectory(Path.Combine(_folder, "tmp")).FullName;
        var (exitCode, output, errors) = ChildProcess.RunToExit(Cli, Timeout, new Dictionary<string, string>(environment) { ["TMPDIR"] = temporary }, arguments);
        string[] leftBehind = [.. Directory.EnumerateFileSystemEntries(temporary).Select(Path.GetFileName).Where(name => name != OnnxRuntimeSessionFile)!];
        Directory.Delete(temporary, recursive: true);
        return (exitCode, output, errors, leftBehind);
    }
}
