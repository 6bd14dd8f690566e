using Interop.Reference;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Grid;

/// <summary>
/// Issue 11's reproducibility goal for one group (a module, a dtype and a shape): at one thread, the same values give
/// the same bits in every <see cref="Measure"/> whatever their memory layout. The probe places x, the parameter, g,
/// v and w at storage offsets 0 to 18 of larger buffers (19 layouts, which cover every alignment modulo 64 bytes for
/// float32 and float64) and compares every layout's bits with those at offset 0.
/// </summary>
public sealed record DeterminismGoal(string Module, ScalarType DType, long[] Shape)
{
    public const int Layouts = 19;

    public static IReadOnlyList<long[]> Shapes { get; } = [[7], [3, 17], [16, 64], [2, 5, 33]];

    public static IReadOnlyList<DeterminismGoal> All { get; } =
        [.. NumericsGrid.Modules.SelectMany(module => NumericsGrid.DTypes.SelectMany(dtype => Shapes.Select(shape => new DeterminismGoal(module, dtype, shape))))];

    public string ShapeName => string.Join('x', Shape);

    public string ParameterName => ModuleMap.All.Single(m => m.Name == Module).ParameterName;

    /// <summary>As in the goal lists: "determinism", module, dtype, shape.</summary>
    public string Key => string.Join(' ', "determinism", Module, DType == ScalarType.Float32 ? "float32" : "float64", ShapeName);

    /// <summary>For each measure whose bits depend on the layout: in how many layouts, and by how many ulps at most.</summary>
    public IReadOnlyDictionary<Measure, (int Layouts, double MaxUlps)> Differences()
    {
        var map = ModuleMap.All.Single(m => m.Name == Module);
        var random = new SplitMix64(7);
        long numel = Shape.Aggregate(1L, (a, b) => a * b);
        double[] Draw(long count) => [.. Enumerable.Range(0, (int)count).Select(_ => random.Uniform(-2, 2))];
        var x = Draw(numel);
        double[] parameter = map.ParameterIsVector ? Draw(Shape[^1]) : [1.3];
        long[] parameterShape = map.ParameterIsVector ? [Shape[^1]] : [];
        long[] outputShape = Module == "LogSum" ? Shape[..^1] : Shape;
        var upstream = Draw(outputShape.Aggregate(1L, (a, b) => a * b));
        var (directionX, directionParameter) = (Draw(numel), Draw(parameter.Length));

        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            var runs = Enumerable.Range(0, Layouts).Select(offset =>
            {
                using var scope = NewDisposeScope();
                Tensor At(double[] values, long[] shape) => AtOffset(values, shape, offset);
                return FunctionRun.Of(map, At(x, Shape).requires_grad_(), At(parameter, parameterShape).requires_grad_(), At(upstream, outputShape).requires_grad_(),
                    At(directionX, Shape), At(directionParameter, parameterShape));
            }).ToList();
            var differences = new Dictionary<Measure, (int, double)>();
            foreach (var measure in Measure.All)
            {
                var baseline = runs[0][measure];
                var distances = runs.Skip(1).Select(run => Distance(baseline, run[measure])).Where(d => d > 0).ToList();
                if (distances.Count > 0)
                    differences[measure] = (distances.Count, distances.Max());
            }
            return differences;
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    /// <summary>The values as a view at <paramref name="offset"/> elements into a buffer of their own, a leaf of the autograd graph.</summary>
    private Tensor AtOffset(double[] values, long[] shape, int offset)
    {
        var buffer = zeros(values.Length + Layouts, dtype: DType);
        var view = buffer.narrow(0, offset, values.Length).view(shape);
        view.copy_(tensor(values, shape, ScalarType.Float64));
        return view;
    }

    /// <summary>
    /// 0 when the bits are identical everywhere, otherwise the largest distance in ulps: +∞ if a NaN or an infinity
    /// moved, and 1 for a zero whose sign changed (the same point, different bits).
    /// </summary>
    private double Distance(double[] baseline, double[] other)
    {
        double largest = 0;
        for (int i = 0; i < baseline.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(baseline[i]) == BitConverter.DoubleToInt64Bits(other[i]))
                continue;
            double distance = !double.IsFinite(baseline[i]) || !double.IsFinite(other[i]) ? double.PositiveInfinity
                : DType == ScalarType.Float32 ? Accuracy.UlpDistance((float)baseline[i], (float)other[i]) : Accuracy.UlpDistance(baseline[i], other[i]);
            largest = Math.Max(largest, distance == 0 ? 1 : distance);
        }
        return largest;
    }
}
