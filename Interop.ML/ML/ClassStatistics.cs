using TorchSharp;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// What the energy classifier's initialisation needs from one pass over the training rows, in memory bounded by the
/// classes and features: each class's count and feature sums, every feature's sum and sum of squares (in float64),
/// and a seeded reservoir sample of up to <see cref="SamplePerPrototype"/> rows per prototype of each class, from
/// which k-means places several prototypes per class.
/// </summary>
internal sealed class ClassStatistics : IDisposable
{
    private const int SamplePerPrototype = 64;

    private readonly int _classes;
    private readonly int _sampleSize;
    private readonly Random _random;
    private readonly List<float[]>[] _samples;
    private readonly long[] _seen;
    private Tensor? _classSums;
    private Tensor? _counts;
    private Tensor? _sum;
    private Tensor? _sumOfSquares;

    public ClassStatistics(int classes, int prototypesPerClass, int seed)
    {
        _classes = classes;
        _sampleSize = prototypesPerClass > 1 ? SamplePerPrototype * prototypesPerClass : 0;
        _random = new Random(seed);
        _samples = Enumerable.Range(0, classes).Select(_ => new List<float[]>()).ToArray();
        _seen = new long[classes];
    }

    /// <summary>Adds a batch: features [B, D] (float32) and class indices [B].</summary>
    public void Observe(Tensor features, Tensor labels)
    {
        var x = features.to(ScalarType.Float64);
        var oneHot = nn.functional.one_hot(labels, _classes).to(ScalarType.Float64);
        Accumulate(ref _classSums, oneHot.t().matmul(x));
        Accumulate(ref _counts, oneHot.sum(dim: 0));
        Accumulate(ref _sum, x.sum(dim: 0));
        Accumulate(ref _sumOfSquares, x.pow(HeldScalars.Two).sum(dim: 0));
        if (_sampleSize > 0)
            Sample(features, labels);
    }

    /// <summary>The row count of the smallest class.</summary>
    public long SmallestClass => _counts is null ? 0 : (long)_counts.min().ToDouble();

    /// <summary>Each class's mean [C, D]; a class without rows gets the overall mean.</summary>
    public Tensor Means()
    {
        var counts = _counts!.unsqueeze(1);
        var overall = _sum! / _counts!.sum();
        return where(counts.gt(HeldScalars.Zero), _classSums! / counts.clamp_min(HeldScalars.One), overall).to(ScalarType.Float32);
    }

    /// <summary>1 / (standard deviation) of each feature [D] (1 for a constant feature), so that every feature starts on one scale.</summary>
    public Tensor InverseStandardDeviations()
    {
        var n = _counts!.sum();
        var variance = ((_sumOfSquares! - _sum!.pow(HeldScalars.Two) / n) / n.sub(HeldScalars.One).clamp_min(HeldScalars.One)).clamp_min(HeldScalars.Zero);
        var std = variance.sqrt();
        using var constant = 1e-12.ToScalar();
        return where(std.gt(constant), std.reciprocal(), ones_like(std)).to(ScalarType.Float32);
    }

    /// <summary>The sampled rows of class <paramref name="c"/> [n, D] (float32), n at most the sample size.</summary>
    public Tensor Sample(int c, long width) =>
        _samples[c].Count == 0 ? empty(0, width) : stack(_samples[c].Select(row => tensor(row)).ToArray());

    public void Dispose()
    {
        _classSums?.Dispose();
        _counts?.Dispose();
        _sum?.Dispose();
        _sumOfSquares?.Dispose();
    }

    private static void Accumulate(ref Tensor? total, Tensor part)
    {
        if (total is null)
            total = part.detach().clone().DetachFromDisposeScope();
        else
            total.add_(part, HeldScalars.One);
    }

    private void Sample(Tensor features, Tensor labels)
    {
        var rows = features.contiguous().data<float>().ToArray();
        var classes = labels.data<long>().ToArray();
        int width = (int)features.shape[1];
        for (int i = 0; i < classes.Length; i++)
        {
            int c = (int)classes[i];
            long seen = ++_seen[c];
            var sample = _samples[c];
            if (sample.Count < _sampleSize)
                sample.Add(rows.AsSpan(i * width, width).ToArray());
            else if (_random.NextInt64(seen) is var slot && slot < _sampleSize)
                sample[(int)slot] = rows.AsSpan(i * width, width).ToArray();
        }
    }
}
