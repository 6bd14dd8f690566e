using System.Diagnostics;
using Interop.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Cli.Commands;

/// <summary>
/// Long-run memory check: forward and backward through every Function, round-robin, each iteration in its own
/// DisposeScope, for a bounded time; resident and managed memory are compared after a warm-up and at the end.
/// </summary>
internal sealed class SoakCommand : ICommand
{
    private const long RssBudgetBytes = 50L << 20;
    private const long ManagedBudgetBytes = 8L << 20;
    private const int WarmUpIterations = 2_000;

    public string Name => "soak";
    public string Summary => "run forward+backward through every Function for a while; exits 1 if memory grows";
    public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>
    {
        ["seconds="] = "how long to run after the warm-up (default 60)",
        ["json"] = "print the result as JSON",
    };

    public int Run(ParsedOptions options, TextWriter output)
    {
        int seconds = options.Int("seconds", 60, 1, 24 * 3600);
        bool json = options.Flag("json");
        if (!json)
            output.WriteLine($"Soak: forward+backward through {string.Join(", ", ModuleMap.All.Select(m => m.Name))}, round-robin, {seconds} s after a warm-up of {WarmUpIterations:N0} iterations.");

        var generator = new Generator(7);
        var parameters = ModuleMap.All.Select(map => map.MakeParameter(0.8, 8, ScalarType.Float32).requires_grad_()).ToArray();
        long iterations = 0;
        void Step()
        {
            int which = (int)(iterations++ % ModuleMap.All.Count);
            using var scope = NewDisposeScope();
            var x = randn([4, 8], generator: generator).requires_grad_();
            var y = ModuleMap.All[which].Function(x, parameters[which]);
            (y * y).sum().backward();
            parameters[which].grad = null;
        }

        for (int i = 0; i < WarmUpIterations; i++)
            Step();
        long managedStart = SettledManagedBytes(), rssStart = ResidentBytes();
        long measuredFrom = iterations;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
            Step();
        long managedEnd = SettledManagedBytes(), rssEnd = ResidentBytes();

        long perFunction = (iterations - measuredFrom) / ModuleMap.All.Count;
        bool ok = rssEnd - rssStart < RssBudgetBytes && managedEnd - managedStart < ManagedBudgetBytes;
        if (json)
        {
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
                iterationsPerFunction = perFunction,
                rssStartBytes = rssStart,
                rssEndBytes = rssEnd,
                managedStartBytes = managedStart,
                managedEndBytes = managedEnd,
                passed = ok,
            }));
        }
        else
        {
            output.WriteLine($"iterations: {perFunction:N0} per Function in {clock.Elapsed.TotalSeconds:F1} s");
            output.WriteLine($"resident:   {Megabytes(rssStart)} → {Megabytes(rssEnd)} ({Megabytes(rssEnd - rssStart, signed: true)}; budget < {Megabytes(RssBudgetBytes)})");
            output.WriteLine($"managed:    {Megabytes(managedStart)} → {Megabytes(managedEnd)} ({Megabytes(managedEnd - managedStart, signed: true)}; budget < {Megabytes(ManagedBudgetBytes)})");
            output.WriteLine(ok ? "verdict: flat" : "verdict: MEMORY GREW");
        }
        return ok ? 0 : 1;
    }

    /// <summary>
    /// The managed heap after an aggressive full collection, which also returns the GC's free memory to the system.
    /// Without it, resident memory would include the GC's allocation budget for short-lived tensor wrappers, which
    /// grows by about 100 MB in the first seconds of a run and then holds: a budget, not a leak.
    /// </summary>
    private static long SettledManagedBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private static long ResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    private static string Megabytes(long bytes, bool signed = false) =>
        (signed && bytes >= 0 ? "+" : "") + $"{bytes / 1048576.0:F1} MB";
}
