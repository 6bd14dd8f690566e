namespace Interop.Tests.Numerics.Exact;

/// <summary>
/// The exact value of every <see cref="Quantity"/> of a map, to far more bits than a double has: the judge of accuracy.
/// </summary>
/// <remarks>
/// The maps are evaluated as written, so cancellation costs bits (1 − y_max formed from terms near 1 loses about
/// |β Δx| / ln 2 of them). Instead of bounding that by hand, each evaluation is repeated at a precision more than
/// twice as high, and the difference between the two is taken as the error of the less precise one (the more precise
/// one is far better still, as every part its partner dropped in rounding, it keeps). That fails only for a part so
/// small that both precisions drop it, like e^−700 next to 1: such deep roundings are recorded by
/// <see cref="BigFloat"/>, and the next precision is chosen beyond them, and an evaluation that has one is not
/// trusted. The precision rises until every element is settled: its error is below 2^−72 of its size, or below
/// 2^−1100 in absolute terms, beneath the smallest subnormal double. An element that is not distinguishable from
/// that error is exactly zero as far as any double or float can tell, and is returned as 0.
/// </remarks>
public static class ExactReference
{
    /// <summary>The first precision tried, in bits.</summary>
    public const int StartingPrecision = 128;

    /// <summary>Beyond this the reference gives up (with an exception) rather than run for minutes.</summary>
    public const int MaximumPrecision = 16384;

    private static readonly BigFloat RelativeTolerance = BigFloat.Scale(BigFloat.One, -72);

    private static readonly BigFloat AbsoluteTolerance = BigFloat.Scale(BigFloat.One, -1100);

    /// <summary>Every quantity of <paramref name="map"/> at <paramref name="inputs"/>, settled as described above.</summary>
    /// <exception cref="InvalidOperationException">Some element did not settle by <see cref="MaximumPrecision"/>.</exception>
    public static ExactQuantities Evaluate(ExactMap map, MapInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(map);
        int bits = StartingPrecision;
        var (coarse, deepest) = EvaluateAt(map, inputs, bits);
        while (true)
        {
            // Every rounding at `bits`, inside exp and log too, keeps its leading dropped bits at twice its working
            // precision; the recorded deep ones need more.
            bits = RoundUp(Math.Max(2 * BigFloat.WorkingPrecision(bits), deepest + 128));
            if (bits > MaximumPrecision)
                throw new InvalidOperationException($"ExactReference: {map.Name} did not settle by {MaximumPrecision} bits.");
            (var fine, deepest) = EvaluateAt(map, inputs, bits);
            if (deepest == 0 && Quantities.All.All(q => Settled(coarse[q], fine[q])))
                return Settle(coarse, fine);
            coarse = fine;
        }
    }

    private static int RoundUp(long bits) => (int)Math.Min((bits + 63) / 64 * 64, int.MaxValue);

    private static (ExactQuantities Quantities, long DeepestRounding) EvaluateAt(ExactMap map, MapInputs inputs, int bits)
    {
        BigFloat.TakeDeepestRounding();
        using (BigFloat.UsePrecision(bits))
            return (map.Evaluate(inputs), BigFloat.TakeDeepestRounding());
    }

    private static bool Settled(BigFloat[] coarse, BigFloat[] fine) =>
        coarse.Zip(fine).All(pair => Error(pair.First, pair.Second) <= BigFloat.Max(RelativeTolerance * BigFloat.Abs(pair.Second), AbsoluteTolerance));

    private static ExactQuantities Settle(ExactQuantities coarse, ExactQuantities fine)
    {
        BigFloat[] Of(Quantity q) => [.. coarse[q].Zip(fine[q], (c, f) => BigFloat.Abs(f) <= Error(c, f) ? BigFloat.Zero : f)];
        return new ExactQuantities(
            Of(Quantity.Output), Of(Quantity.GradX), Of(Quantity.GradParameter),
            Of(Quantity.SecondX), Of(Quantity.SecondParameter), Of(Quantity.SecondUpstream));
    }

    private static BigFloat Error(BigFloat coarse, BigFloat fine)
    {
        using (BigFloat.UsePrecision(64))
            return BigFloat.Abs(coarse - fine);
    }
}
