using Interop.Checking;
using Interop.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Cli.Commands;

/// <summary>
/// The main job: every hand-written backward against TorchSharp's autograd of the built-in twin, on seeded
/// random float64 inputs, one row per module and quantity.
/// </summary>
internal sealed class VerifyCommand : ICommand
{
    private const double RelativeTolerance = 1e-10;
    private static readonly long[] Shape = [4, 8];

    public string Name => "verify";
    public string Summary => "compare each hand-written backward with autograd; exits 1 on any mismatch";
    public IReadOnlyDictionary<string, string> Options { get; } = new Dictionary<string, string>
    {
        ["seed="] = "random seed for the inputs (default 42)",
    };

    public int Run(ParsedOptions options, TextWriter output)
    {
        int seed = options.Int("seed", 42, 0, int.MaxValue);
        output.WriteLine($"Hand-written backward vs TorchSharp autograd: float64, x of shape [{string.Join(", ", Shape)}], seed {seed}.");
        output.WriteLine($"A row passes when max |hand-written − autograd| ≤ {RelativeTolerance:0e0} × max |autograd|.");
        output.WriteLine();
        output.WriteLine($"{"module",-18}{"quantity",-10}{"max |hand − autograd|",24}{"max |autograd|",16}  result");

        int failures = 0, rows = 0;
        foreach (var map in ModuleMap.All)
        {
            using var scope = NewDisposeScope();
            var generator = new Generator((ulong)seed);
            var x = randn(Shape, ScalarType.Float64, generator: generator);
            var parameter = map.MakeParameter(1.3, Shape[^1]);
            Tensor upstream;
            using (no_grad())
                upstream = randn(map.Twin(x, parameter).shape, ScalarType.Float64, generator: generator);
            var hand = MapGradients.Of(map.Function, x, parameter, upstream);
            var twin = MapGradients.Of(map.Twin, x, parameter, upstream);

            foreach (var (quantity, mine, reference) in new[]
            {
                ("y", hand.Output, twin.Output),
                ("∂E/∂x", hand.GradX, twin.GradX),
                ($"∂E/∂{(map.ParameterName == "beta" ? "β" : map.ParameterIsVector ? "K" : "k")}", hand.GradParameter, twin.GradParameter),
            })
            {
                double difference = (mine - reference).abs().max().ToDouble();
                double scale = reference.abs().max().ToDouble();
                bool ok = mine.shape.SequenceEqual(reference.shape) && difference <= RelativeTolerance * scale;
                failures += ok ? 0 : 1;
                rows++;
                output.WriteLine($"{map.Name,-18}{quantity,-10}{difference,24:0.000e+00}{scale,16:0.000e+00}  {(ok ? "ok" : "MISMATCH")}");
            }
        }

        output.WriteLine();
        output.WriteLine(failures == 0
            ? $"All {rows} comparisons over {ModuleMap.All.Count} modules match."
            : $"{failures} of {rows} comparisons do not match.");
        return failures == 0 ? 0 : 1;
    }
}
