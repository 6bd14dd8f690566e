using System.Text;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Grid;

/// <summary>
/// The accuracy grid: for each map, in float64 and float32, cases in families that each probe one kind of trouble.
/// Everything is drawn from <see cref="SplitMix64"/> seeded by the case's module, dtype and family, so the grid is
/// the same on every run and machine, and adding a family does not move the others.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>moderate</b>: x in (−2, 2), β and k of either sign, every shape the map takes.</item>
/// <item><b>wide</b>: |βx| up to 700 in float64 (80 in float32): e^(−βx) near the type's range, rows saturated many times over.</item>
/// <item><b>saturated</b>: one entry holds nearly all the weight: β Δx from 10 to 700, either sign of β, issue 11's x = [5, 6], β = 40, g = [1, 2].</item>
/// <item><b>zeros-and-ties</b>: exact zeros in the results (β = 0, k = 0, zeros in x or g, a constant g on a Softmax row, N = 1) and tied entries.</item>
/// <item><b>offset</b>: a large common offset: x ≈ ±700 ± 1 with β = ±1, x ≈ ±7e5 ± 1e3 with β = ±1e−3.</item>
/// <item><b>small-beta</b>: β from ±1e−8 down to 1e−150 (1e−20 in float32).</item>
/// <item><b>overflowing-logits</b>: β x beyond the type's range while y is not (x = [1e30, −1e30, 0], β = 1e10 in float32).</item>
/// <item><b>scales</b>: K and k of mixed signs and sizes (1e−12 to 1e12, k = 1e−200), x from 1e−30 to 1e30.</item>
/// <item><b>limits</b>: infinite x and β where docs/numerics.md promises a limit.</item>
/// </list>
/// </remarks>
public static class NumericsGrid
{
    public static IReadOnlyList<string> Families { get; } =
        ["moderate", "wide", "saturated", "zeros-and-ties", "offset", "small-beta", "overflowing-logits", "scales", "limits"];

    public static IReadOnlyList<string> Modules { get; } = ["Exponential", "ComponentScaling", "GlobalScaling", "Softmax", "LogSum"];

    public static IReadOnlyList<ScalarType> DTypes { get; } = [ScalarType.Float64, ScalarType.Float32];

    /// <summary>Every case of the grid, generated once.</summary>
    public static IReadOnlyList<GridCase> Cases { get; } = Generate();

    private const double Inf = double.PositiveInfinity;

    /// <summary>A case before g (when null), v and w are drawn and everything is rounded to the dtype.</summary>
    private sealed record Seed(long[] Shape, double[] X, double[] Parameter, double[]? Upstream = null, int StandInExponent = 0);

    private sealed record Context(string Module, bool Float32, SplitMix64 Random)
    {
        public bool IsScaling => Module.EndsWith("Scaling", StringComparison.Ordinal);

        public bool IsElementWise => Module is "Exponential" or "GlobalScaling";

        public double[] Uniform(long count, double low, double high) => [.. Enumerable.Range(0, (int)count).Select(_ => Random.Uniform(low, high))];

        /// <summary>β or k as given; K as N values drawn around it with mixed signs.</summary>
        public double[] Parameter(double value, long columns) =>
            Module == "ComponentScaling" ? [.. Enumerable.Range(0, (int)columns).Select(i => value * Random.Uniform(0.5, 1.5) * (i % 3 == 2 ? -1 : 1))] : [value];
    }

    private static List<GridCase> Generate()
    {
        var cases = new List<GridCase>();
        foreach (var dtype in DTypes)
            foreach (var module in Modules)
                foreach (var family in Families)
                {
                    var context = new Context(module, dtype == ScalarType.Float32, new SplitMix64(StableHash($"{module} {dtype} {family}")));
                    int index = 0;
                    foreach (var seed in SeedsOf(family, context))
                        cases.Add(Complete(seed, context, dtype, family, index++));
                }
        return cases;
    }

    private static IEnumerable<Seed> SeedsOf(string family, Context c) => family switch
    {
        "moderate" => Moderate(c),
        "wide" => c.IsScaling ? [] : Wide(c),
        "saturated" => c.Module is "Softmax" or "LogSum" ? Saturated(c) : [],
        "zeros-and-ties" => ZerosAndTies(c),
        "offset" => c.IsScaling ? [] : Offset(c),
        "small-beta" => c.IsScaling ? [] : SmallBeta(c),
        "overflowing-logits" => c.Module is "Softmax" or "LogSum" ? OverflowingLogits(c) : [],
        "scales" => c.IsScaling ? Scales(c) : [],
        _ => Limits(c),
    };

    private static IEnumerable<Seed> Moderate(Context c)
    {
        long[][] shapes = c.IsElementWise ? [[], [7], [3, 5], [2, 3, 4]] : [[7], [3, 5], [2, 3, 4]];
        foreach (var shape in shapes)
            foreach (var value in new[] { 1.3, -0.7 })
                yield return new Seed(shape, c.Uniform(Numel(shape), -2, 2), c.Parameter(value, Columns(shape)));
    }

    private static IEnumerable<Seed> Wide(Context c)
    {
        foreach (var beta in c.Float32 ? new[] { 80.0, -80, 30 } : [700, -700, 250])
            yield return new Seed([3, 6], c.Uniform(18, -1, 1), [beta]);
    }

    private static IEnumerable<Seed> Saturated(Context c)
    {
        double[] upstream = c.Module == "LogSum" ? [1] : [1, 2];
        yield return new Seed([2], [5, 6], [40], upstream);
        yield return new Seed([2], [5, 6], [-40], upstream);
        foreach (var betaGap in c.Float32 ? new[] { 10.0, 17, 20, 40, 80 } : [20, 37, 45, 100, 300, 700])
            foreach (var beta in new[] { 40.0, -1.5 })
            {
                double gap = betaGap / Math.Abs(beta), offset = c.Random.Uniform(-3, 3);
                yield return new Seed([2], [offset, offset + gap], [beta]);
                yield return new Seed([5], [.. new[] { 0, 1, 1.5, 2, 3 }.Select(k => offset + k * gap)], [beta]);
            }
        yield return new Seed([2, 4], [5, 6, 7, 9, -1, -1.5, 0, 2], [40]);
    }

    private static IEnumerable<Seed> ZerosAndTies(Context c)
    {
        switch (c.Module)
        {
            case "Exponential":
                yield return new Seed([2, 4], c.Uniform(8, -2, 2), [0]);
                yield return new Seed([2, 4], [0, 1.5, 0, -0.5, 2, 0, -1, 0], [1.3], [0.5, 0, -1, 0.25, 0, 0.75, 0, -0.5]);
                break;
            case "ComponentScaling":
                yield return new Seed([2, 4], [0, 1.5, 0, -0.5, 2, 0, -1, 0], [0, 1.3, -0.7, 0], [0.5, 0, -1, 0.25, 0, 0.75, 0, -0.5]);
                break;
            case "GlobalScaling":
                yield return new Seed([2, 4], c.Uniform(8, -2, 2), [0]);
                yield return new Seed([2, 4], [0, 1.5, 0, -0.5, 2, 0, -1, 0], [-0.7], [0.5, 0, -1, 0.25, 0, 0.75, 0, -0.5]);
                break;
            case "Softmax":
                yield return new Seed([2, 4], [1.5, 1.5, 1.5, 1.5, -0.25, -0.25, -0.25, -0.25], [1.3]);
                yield return new Seed([2, 4], c.Uniform(8, -2, 2), [1.3], [0.4, 0.4, 0.4, 0.4, -1, -1, -1, -1]);
                yield return new Seed([2, 4], c.Uniform(8, -2, 2), [0]);
                yield return new Seed([2, 4], [1, 1, 3, 2.5, 0, 0.5, 0, 2], [40]);
                yield return new Seed([2, 4], [0, 1.5, 0, -0.5, 2, 0, -1, 0], [-0.7]);
                break;
            default:
                yield return new Seed([2, 4], [1.5, 1.5, 1.5, 1.5, -0.25, -0.25, -0.25, -0.25], [1.3]);
                yield return new Seed([2, 4], [1, 1, 3, 2.5, 0, 0.5, 0, 2], [40]);
                yield return new Seed([3, 1], [0.5, -1.25, 2], [0.8]);
                break;
        }
    }

    private static IEnumerable<Seed> Offset(Context c)
    {
        foreach (var (center, spread, beta) in new[] { (700.0, 1.0, 1.0), (700, 1, -1), (-700, 1, 1), (7e5, 1e3, 1e-3), (7e5, 1e3, -1e-3), (-7e5, 1e3, 1e-3) })
            yield return new Seed([4, 8], [.. c.Uniform(32, -1, 1).Select(u => center + spread * u)], [beta]);
    }

    private static IEnumerable<Seed> SmallBeta(Context c)
    {
        foreach (var beta in c.Float32 ? new[] { 1e-8, -1e-8, Math.Pow(2, -40), 1e-20 } : [1e-8, -1e-8, Math.Pow(2, -40), 1e-100, -1e-150])
            yield return new Seed([2, 5], c.Uniform(10, -2, 2), [beta]);
    }

    private static IEnumerable<Seed> OverflowingLogits(Context c)
    {
        double huge = c.Float32 ? 1e30 : 1e300, top = c.Float32 ? 3e38 : 1.5e308;
        yield return new Seed([3], [huge, -huge, 0], [1e10]);
        yield return new Seed([3], [huge, -huge, 0], [-1e10]);
        yield return new Seed([3], [top, 1, -2], [2]);
    }

    private static IEnumerable<Seed> Scales(Context c)
    {
        double xRange = c.Float32 ? 8 : 30, gRange = c.Float32 ? 5 : 10, kRange = c.Float32 ? 8 : 12;
        double[] Magnitudes(int count, double range) => [.. c.Uniform(count, -1, 1).Select(u => u * Math.Pow(10, c.Random.Uniform(-range, range)))];
        double[] globalValues = c.Float32 ? [-1e-3, 3e5, -7.25, 1e-30] : [-1e-3, 3e5, -7.25, 1e-200];
        int count = c.Module == "ComponentScaling" ? 3 : globalValues.Length;
        for (int i = 0; i < count; i++)
        {
            double[] parameter = c.Module == "ComponentScaling" ? Magnitudes(6, kRange) : [globalValues[i]];
            yield return new Seed([4, 6], Magnitudes(24, xRange), parameter, Magnitudes(24, gRange));
        }
    }

    private static IEnumerable<Seed> Limits(Context c)
    {
        switch (c.Module)
        {
            case "Exponential":
                // e^(±2^10) is far outside float64 already; with 2^1100 no exponent could hold e^x.
                foreach (var beta in new[] { 1.3, -1.3 })
                {
                    yield return new Seed([2], [Inf, 0.5], [beta], StandInExponent: 10);
                    yield return new Seed([2], [-Inf, 0.5], [beta], StandInExponent: 10);
                }
                yield return new Seed([2], [Inf, -Inf], [1], StandInExponent: 10);
                yield return new Seed([2], [Inf, Inf], [1], StandInExponent: 10);
                break;
            case "ComponentScaling":
                yield return new Seed([2, 3], [Inf, 1.5, -2, 0.5, -Inf, 1], [1.5, -2, 0.5], StandInExponent: 1100);
                break;
            case "GlobalScaling":
                yield return new Seed([3], [Inf, 1.5, -2], [1.5], StandInExponent: 1100);
                yield return new Seed([2], [-Inf, 0.5], [-0.75], StandInExponent: 1100);
                break;
            default:
                double[][] rows = [[Inf, 1, 2], [Inf, Inf, Inf], [-Inf, 1, -Inf], [-Inf, 0.5, 2]];
                foreach (var row in rows)
                    yield return new Seed([3], row, [1.3], StandInExponent: 1100);
                foreach (var (beta, row) in new (double, double[])[] { (Inf, [3, -1, -2]), (Inf, [0, 1, 2]), (-Inf, [3, 1, -1]), (-Inf, [0, -1, -2]) })
                    yield return new Seed([3], row, [beta], StandInExponent: 1100);
                break;
        }
    }

    private static GridCase Complete(Seed seed, Context c, ScalarType dtype, string family, int index)
    {
        double Round(double value) => c.Float32 ? (float)value : value;
        double[] Rounded(double[] values) => [.. values.Select(Round)];
        long outputs = c.Module == "LogSum" ? Numel(seed.Shape) / Columns(seed.Shape) : Numel(seed.Shape);
        var upstream = seed.Upstream ?? c.Uniform(outputs, -1, 1);
        var directionX = c.Uniform(Numel(seed.Shape), -1, 1);
        var directionParameter = c.Uniform(seed.Parameter.Length, -1, 1);
        return new GridCase(c.Module, dtype, family, index, seed.Shape, Rounded(seed.X), Rounded(seed.Parameter), Rounded(upstream),
            Rounded(directionX), Rounded(directionParameter), seed.StandInExponent);
    }

    private static long Numel(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    private static long Columns(long[] shape) => shape.Length == 0 ? 1 : shape[^1];

    /// <summary>FNV-1a of the UTF-8 text: a seed that, unlike string.GetHashCode, is the same in every process.</summary>
    private static ulong StableHash(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (var b in Encoding.UTF8.GetBytes(text))
            hash = (hash ^ b) * 1099511628211;
        return hash;
    }
}
