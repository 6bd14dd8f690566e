using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Interop.Benchmarks;
using Interop.Reference;
using static TorchSharp.torch;

namespace Interop.Cli.Commands;

/// <summary>
/// How the hand-written backward compares with TorchSharp's autograd in time, bandwidth and memory: forward+backward
/// of every module against its twin, float32, timed in interleaved rounds (see <see cref="InterleavedTimer"/>), with
/// one thread and with libtorch's default thread count. BenchmarkDotNet's full tables come from Interop.Benchmarks.
/// </summary>
internal sealed class BenchCommand : ICommand
{
    private static readonly long[][] QuickShapes = [[8], [4096], [256, 1024]];
    private static readonly long[][] FullShapes = [.. QuickShapes, [1000, 1000]];
    private static readonly long[][] InstructionShapes = [[8], [4096]];
    private const int InstructionCalls = 100;
    private const int InstructionPairs = 5;

    public string Name => "bench";
    public string Summary => "time each hand-written forward+backward against autograd's (ratio below 1 = faster)";
    public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>
    {
        ["full"] = "add x of [1000, 1000] and run three times as many rounds (the numbers in docs/benchmarks.md)",
        ["json"] = "print the results as JSON",
        ["alone="] = "MODULE:SHAPE:hand|twin, e.g. Softmax:256x1024:twin: time that one alone in this process instead",
        ["threads="] = "intra-op threads for --alone (default 1)",
        ["instructions"] = "count instructions per forward+backward under valgrind's callgrind instead (1 thread, x of [8] and [4096]; about 4 minutes)",
        ["dumps="] = "FOLDER: with --instructions, keep callgrind's dumps and the JIT's perf map there (new or empty folder) for Interop.Benchmarks/callgrind_phases.py",
    };

    public int Run(ParsedOptions options, TextWriter output)
    {
        if (options.Flag("instructions"))
        {
            if (options.Flag("full") || options.Value("alone") is not null || options.Value("threads") is not null)
                throw new UsageException("--instructions counts with 1 thread at its own sizes; it takes none of --full, --alone and --threads.");
            return Callgrind.IsRunning ? CountInstructions(options.Flag("json"), output) : RunUnderCallgrind(options.Flag("json"), options.Value("dumps"), output);
        }
        if (options.Value("dumps") is not null)
            throw new UsageException("--dumps keeps the dumps of --instructions; it needs --instructions.");
        if (options.Value("alone") is { } alone)
            return RunAlone(alone, options.Int("threads", 1, 1, 256), options.Flag("json"), output);
        bool full = options.Flag("full");
        int rounds = full ? 61 : 21;
        var block = TimeSpan.FromMilliseconds(full ? 4 : 2);
        int[] threads = [.. new[] { 1, get_num_threads() }.Distinct()];
        string loadBefore = LoadAverage();

        var results = new List<Comparison>();
        foreach (var map in ModuleMap.All)
        {
            foreach (var shape in full ? FullShapes : QuickShapes)
            {
                using var workload = new Workload(map, shape);
                foreach (int count in threads)
                    results.Add(InterleavedTimer.Compare(workload, count, rounds, block, measureMemory: true));
            }
        }

        if (options.Flag("json"))
            WriteJson(output, rounds, loadBefore, results);
        else
            WriteTable(output, rounds, loadBefore, results);
        return 0;
    }

    /// <summary>
    /// One implementation with nothing else in the process: run it for hand and twin in alternating processes to
    /// check the interleaved ratios against a training loop's conditions (docs/benchmarks.md).
    /// </summary>
    private static int RunAlone(string spec, int threads, bool json, TextWriter output)
    {
        string[] parts = spec.Split(':');
        var map = parts.Length == 3 ? ModuleMap.All.SingleOrDefault(m => m.Name == parts[0]) : null;
        long[]? shape = parts.Length == 3 && parts[1].Split('x').All(d => long.TryParse(d, out long n) && n > 0) ? Workload.ParseShape(parts[1]) : null;
        Implementation? implementation = parts.Length == 3 ? parts[2] switch { "hand" => Implementation.HandWritten, "twin" => Implementation.Twin, _ => null } : null;
        if (map is null || shape is null || implementation is null)
            throw new UsageException($"--alone must be MODULE:SHAPE:hand|twin with MODULE one of {string.Join(", ", ModuleMap.All.Select(m => m.Name))} and SHAPE like 256x1024; got '{spec}'.");

        using var workload = new Workload(map, shape);
        double microseconds = InterleavedTimer.Alone(workload, implementation.Value, threads, rounds: 61, TimeSpan.FromMilliseconds(4));
        output.WriteLine(json
            ? JsonSerializer.Serialize(new { module = map.Name, shape, implementation = implementation.Value.ToString(), threads, microseconds })
            : $"{map.Name} {Workload.FormatShape(shape)} {implementation.Value}, alone, {threads} thread(s): {microseconds:F1} µs (median of 61 rounds)");
        return 0;
    }

    /// <summary>
    /// Runs this command again under callgrind (see <see cref="Callgrind.StartInfo"/>), where it counts
    /// (<see cref="CountInstructions"/>), and relays what it prints. The dumps and valgrind's log go to a temporary
    /// folder, deleted afterwards, or to <paramref name="dumpsFolder"/>, kept. A failure is one line: the child's last
    /// error line, or else the last line of valgrind's log.
    /// </summary>
    private static int RunUnderCallgrind(bool json, string? dumpsFolder, TextWriter output)
    {
        if (!Callgrind.IsSupported)
            throw new UsageException("--instructions needs Linux on x86-64, where valgrind's client requests are made here.");
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            arguments.Add(typeof(BenchCommand).Assembly.Location);
        arguments.AddRange(json ? ["bench", "--instructions", "--json"] : ["bench", "--instructions"]);
        var directory = dumpsFolder is null ? Directory.CreateTempSubdirectory("interop-callgrind-") : NewOrEmptyFolder(dumpsFolder);
        var startInfo = Callgrind.StartInfo(host, arguments, directory.FullName, keepDumps: dumpsFolder is not null);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        int exitCode;
        string lastError;
        using (var child = StartOrExplain(startInfo, dumpsFolder is null ? directory : null))
        {
            var errors = child.StandardError.ReadToEndAsync();
            while (child.StandardOutput.ReadLine() is { } line)
                output.WriteLine(line);
            child.WaitForExit();
            exitCode = child.ExitCode;
            lastError = LastLine(errors.Result);
        }
        if (exitCode == 0)
        {
            if (dumpsFolder is null)
                directory.Delete(recursive: true);
            return 0;
        }
        string log = Callgrind.LogFile(directory.FullName);
        string cause = lastError.Length > 0 ? lastError : File.Exists(log) ? LastLine(File.ReadAllText(log)) : "";
        if (dumpsFolder is null)
            directory.Delete(recursive: true);
        throw new CommandFailedException($"the count under valgrind failed (exit code {exitCode}): {(cause.Length > 0 ? cause : "no message")}; " +
            (dumpsFolder is null ? "--dumps FOLDER keeps valgrind's log." : $"valgrind's log: {log}"));
    }

    /// <summary>Starts valgrind, or explains that it is missing after deleting <paramref name="temporary"/>.</summary>
    private static Process StartOrExplain(ProcessStartInfo startInfo, DirectoryInfo? temporary)
    {
        try
        {
            return Process.Start(startInfo) ?? throw new InvalidOperationException("valgrind did not start.");
        }
        catch (Win32Exception)
        {
            temporary?.Delete(recursive: true);
            throw new UsageException("--instructions runs valgrind, which is not on PATH (Debian: apt-get install valgrind).");
        }
    }

    /// <summary>The folder for --dumps: created if missing; an existing one must be empty, since dumps are numbered from 1.</summary>
    private static DirectoryInfo NewOrEmptyFolder(string path)
    {
        if (File.Exists(path))
            throw new UsageException($"--dumps {path}: is a file; expected a new or empty folder.");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new UsageException($"--dumps {path}: is not empty; expected a new or empty folder.");
        try
        {
            return Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--dumps {path}: cannot be created: {e.Message}");
        }
    }

    /// <summary>The last line with text, without the "interop bench: " that the child's own errors begin with.</summary>
    private static string LastLine(string text)
    {
        string line = text.Split('\n').Select(line => line.Trim()).LastOrDefault(line => line.Length > 0) ?? "";
        return line.StartsWith("interop bench: ", StringComparison.Ordinal) ? line["interop bench: ".Length..] : line;
    }

    /// <summary>The counting itself, in the process that callgrind runs.</summary>
    private static int CountInstructions(bool json, TextWriter output)
    {
        var report = InstructionReport.Measure(InstructionShapes, InstructionCalls, InstructionPairs);
        if (json)
        {
            var document = new { dtype = "float32", threads = 1, environment = Callgrind.DeterministicEnvironment.ToDictionary(v => v.Name, v => v.Value), report };
            output.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        }
        else
        {
            report.WriteMarkdown(output);
        }
        return 0;
    }

    private static void WriteTable(TextWriter output, int rounds, string loadBefore, List<Comparison> results)
    {
        output.WriteLine($"Forward+backward, hand-written Function vs autograd of its twin: float32, medians of {rounds} interleaved rounds.");
        output.WriteLine("ratio = hand-written time / twin time (below 1.00: hand-written is faster). floor = the same ratio for a Function");
        output.WriteLine("that does no arithmetic (the runtime's fixed cost per call). bandwidth = the hand-written pass's necessary bytes");
        output.WriteLine("per second as a fraction of a clone of x's. held = native KB kept from forward to backward beyond x and y: by the");
        output.WriteLine("graph (forward's temporaries released) / in the caller's dispose scope (temporaries alive until it ends).");
        output.WriteLine($"Load average before: {loadBefore}; after: {LoadAverage()}.");
        output.WriteLine();
        output.WriteLine($"{"module",-17}{"x",-13}{"threads",7}{"hand µs",10}{"twin µs",10}{"ratio",7}{"floor",7}{"bandwidth",10}{"held hand",14}{"held twin",14}");
        foreach (var r in results)
        {
            output.WriteLine($"{r.Module,-17}{Workload.FormatShape(r.Shape),-13}{r.Threads,7}{r.HandWrittenMicroseconds,10:F1}{r.TwinMicroseconds,10:F1}" +
                $"{r.Ratio,7:F2}{r.FloorRatio,7:F2}{r.BandwidthFractionOfClone,10:P0}{Kilobytes(r.HandWrittenHeld),14}{Kilobytes(r.TwinHeld),14}");
        }
    }

    private static void WriteJson(TextWriter output, int rounds, string loadBefore, List<Comparison> results)
    {
        var report = new
        {
            dtype = "float32",
            rounds,
            loadAverageBefore = loadBefore,
            loadAverageAfter = LoadAverage(),
            results,
        };
        output.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    }

    private static string Kilobytes(HeldBytes? held) => held is null ? "n/a" : $"{held.ByGraph / 1024.0:F0} / {held.InScope / 1024.0:F0}";

    /// <summary>The 1, 5 and 15 minute load averages, where the system reports them: timings depend on them.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
