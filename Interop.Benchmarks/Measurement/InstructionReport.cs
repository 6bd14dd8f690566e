using Interop.Reference;
using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// <c>bench --instructions</c>'s measurement, made in the process that callgrind runs: per shape, every
/// <see cref="PassThrough"/>, then every module's hand-written Function and twin, each counted by
/// <see cref="InstructionCounter"/> with one intra-op thread; and the Markdown tables that show it.
/// </summary>
/// <param name="Calls">Calls in a longer block (a shorter one has a fifth).</param>
/// <param name="Pairs">Pairs of blocks per figure.</param>
/// <param name="PassThroughs">Every pass-through at every shape.</param>
/// <param name="Comparisons">Every module at every shape.</param>
public sealed record InstructionReport(int Calls, int Pairs, IReadOnlyList<PassThroughInstructions> PassThroughs, IReadOnlyList<InstructionComparison> Comparisons)
{
    /// <summary>Counts everything at each of <paramref name="shapes"/>, with libtorch set to one thread.</summary>
    public static InstructionReport Measure(IReadOnlyList<long[]> shapes, int calls, int pairs)
    {
        set_num_threads(1);
        var passThroughs = new List<PassThroughInstructions>();
        var comparisons = new List<InstructionComparison>();
        foreach (var shape in shapes)
        {
            using (var workload = new Workload(ModuleMap.All[0], shape))
            {
                foreach (var passThrough in PassThrough.All)
                    passThroughs.Add(new(passThrough.Name, shape, InstructionCounter.PerCall(
                        $"pass-through: {passThrough.Name} {Workload.FormatShape(shape)}", () => workload.PassThrough(passThrough), calls, pairs)));
            }
            foreach (var map in ModuleMap.All)
            {
                using var workload = new Workload(map, shape);
                comparisons.Add(new(map.Name, shape,
                    InstructionCounter.PerCall($"{map.Name} {Workload.FormatShape(shape)} hand-written", () => workload.ForwardBackward(Implementation.HandWritten), calls, pairs),
                    InstructionCounter.PerCall($"{map.Name} {Workload.FormatShape(shape)} twin", () => workload.ForwardBackward(Implementation.Twin), calls, pairs)));
            }
        }
        return new InstructionReport(calls, pairs, passThroughs, comparisons);
    }

    /// <summary>Writes the method, then three Markdown tables: pass-throughs, modules, and where the instructions go.</summary>
    public void WriteMarkdown(TextWriter output)
    {
        output.WriteLine($"Instructions per forward+backward (`autograd.grad` of ⟨g, y⟩ with respect to x and the parameter), in thousands: valgrind");
        output.WriteLine($"--tool=callgrind, every thread counted, float32, libtorch with 1 thread. Each figure is the median of {Pairs} pairs of blocks");
        output.WriteLine($"of {Calls / 5} and {Calls} calls, each block followed by a full compacting collection with finalizers (counted) and the pair differenced; the range is");
        output.WriteLine("the lowest and highest pair. B = managed bytes allocated per call on the calling thread. Environment:");
        output.WriteLine($"{string.Join(' ', Callgrind.DeterministicEnvironment.Select(v => $"`{v.Name}={v.Value}`"))}.");
        output.WriteLine();
        output.WriteLine("| pass-through | x | k instructions | range | B |");
        output.WriteLine("|---|---|--:|--:|--:|");
        foreach (var p in PassThroughs)
            output.WriteLine($"| {p.PassThrough} | {Workload.FormatShape(p.Shape)} | {Thousands(p.Count.Instructions)} | {Range(p.Count)} | {p.Count.AllocatedBytes:F0} |");
        output.WriteLine();
        output.WriteLine("| module | x | hand-written k | twin k | ratio | hand-written range | twin range | hand-written B | twin B |");
        output.WriteLine("|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var c in Comparisons)
        {
            output.WriteLine($"| {c.Module} | {Workload.FormatShape(c.Shape)} | {Thousands(c.HandWritten.Instructions)} | {Thousands(c.Twin.Instructions)} | " +
                $"**{c.Ratio:F2}** | {Range(c.HandWritten)} | {Range(c.Twin)} | {c.HandWritten.AllocatedBytes:F0} | {c.Twin.AllocatedBytes:F0} |");
        }
        output.WriteLine();
        output.WriteLine("Where they run, in thousands of instructions per call by self cost (the median pair): managed = JIT-compiled .NET code,");
        output.WriteLine("coreclr = the .NET runtime's native code (interop stubs' helpers, GC, type checks), LibTorchSharp = TorchSharp's native");
        output.WriteLine("layer, libtorch = libtorch_cpu, c10 and OpenMP, C/C++ runtime = libc (malloc), libstdc++ and the rest; of which collection = the");
        output.WriteLine("share of the total spent collecting the garbage the call left (mostly coreclr). Δ = hand-written − twin.");
        output.WriteLine();
        output.WriteLine($"| what | x | total | {string.Join(" | ", CallgrindDump.Places)} | of which collection |");
        output.WriteLine($"|---|---|--:|{string.Concat(CallgrindDump.Places.Select(_ => "--:|"))}--:|");
        foreach (var p in PassThroughs)
            WritePlaces(output, $"pass-through: {p.PassThrough}", p.Shape, p.Count.Instructions, place => p.Count.ByPlace[place], p.Count.Collection);
        foreach (var c in Comparisons)
        {
            WritePlaces(output, $"{c.Module} hand-written", c.Shape, c.HandWritten.Instructions, place => c.HandWritten.ByPlace[place], c.HandWritten.Collection);
            WritePlaces(output, $"{c.Module} twin", c.Shape, c.Twin.Instructions, place => c.Twin.ByPlace[place], c.Twin.Collection);
            WritePlaces(output, $"{c.Module} Δ", c.Shape, c.HandWritten.Instructions - c.Twin.Instructions,
                place => c.HandWritten.ByPlace[place] - c.Twin.ByPlace[place], c.HandWritten.Collection - c.Twin.Collection);
        }
    }

    private static void WritePlaces(TextWriter output, string what, long[] shape, double total, Func<string, double> place, double collection) =>
        output.WriteLine($"| {what} | {Workload.FormatShape(shape)} | {Thousands(total)} | {string.Join(" | ", CallgrindDump.Places.Select(p => Thousands(place(p))))} | {Thousands(collection)} |");

    private static string Thousands(double instructions) => $"{Math.Round(instructions / 1000, 1) + 0.0:F1}"; // + 0.0 turns a rounded −0 into 0

    private static string Range(InstructionCount count) => $"{Thousands(count.Lowest)}–{Thousands(count.Highest)}";
}
