using Interop.Tests.Numerics.Exact;

namespace Interop.Tests.Numerics.Tests;

/// <summary>
/// The exact reference against three things it does not share code with: mpmath's numerical derivatives of the maps
/// (at 60 digits, and at 1200 where the values are formed from terms near 1), the first and second derivatives
/// worked out by hand below, and identities of the maps. Also, that it settles exact zeros as 0.
/// </summary>
public class ExactReferenceTests
{
    private static BigFloat[] Values(params double[] values) => [.. values.Select(BigFloat.FromDouble)];

    /// <summary>The generic point of Tests/mpmath_literals.py: one row of 3.</summary>
    private static MapInputs GenericPoint(ExactMap map) => new(
        1, 3,
        X: Values(0.5, -1.25, 2.0),
        Parameter: map.ParameterIsVector ? Values(2.0, -0.5, 3.0) : Values(map.Name.EndsWith("Scaling", StringComparison.Ordinal) ? -1.5 : 0.75),
        Upstream: map.ReducesRow ? Values(0.9) : Values(0.3, -1.1, 0.7),
        DirectionX: Values(0.2, 0.4, -0.6),
        DirectionParameter: map.ParameterIsVector ? Values(0.1, -0.2, 0.3) : Values(0.35));

    public static TheoryData<string, Quantity, string[]> MpmathAtTheGenericPoint() => new()
    {
        { "Exponential", Quantity.Output, ["6.872892787909721985452023391465135904347e-1", "2.553589458062926873446965077548566361215", "2.231301601484298289332804707640125213422e-1"] },
        { "Exponential", Quantity.GradX, ["-1.546400877279687389498376621197985130878e-1", "2.106711302901914840696974895869787667644", "-1.171433340779256527582450085985465983245e-1"] },
        { "Exponential", Quantity.GradParameter, ["-3.926661120862972301150169957458969383664"] },
        { "Exponential", Quantity.SecondX, ["-2.190734576146223386883984226388383544894e-2", "1.272804745503240060326462684936782074362", "-2.538105571688389121419437407190211077317e-2"] },
        { "Exponential", Quantity.SecondParameter, ["8.048695735605584880619782223234504010285e-1"] },
        { "Exponential", Quantity.SecondUpstream, ["-2.233690156070659626195798054932279019713e-1", "3.511185504836523316968052269014475949058e-1", "-5.578254003710745104021408556386981751873e-2"] },
        { "ComponentScaling", Quantity.Output, ["1.0", "6.25e-1", "6.0"] },
        { "ComponentScaling", Quantity.GradX, ["5.999999999999999777955395074968691915274e-1", "5.500000000000000444089209850062616169453e-1", "2.099999999999999866773237044981215149164"] },
        { "ComponentScaling", Quantity.GradParameter, ["1.499999999999999944488848768742172978818e-1", "1.375000000000000111022302462515654042363", "1.399999999999999911182158029987476766109"] },
        { "ComponentScaling", Quantity.SecondX, ["3.000000000000000055511151231257820858206e-2", "2.200000000000000299760216648792275775142e-1", "2.099999999999999789057625321220262249891e-1"] },
        { "ComponentScaling", Quantity.SecondParameter, ["6.000000000000000111022302462515641716412e-2", "-4.400000000000000599520433297584551550284e-1", "-4.199999999999999578115250642440524499781e-1"] },
        { "ComponentScaling", Quantity.SecondUpstream, ["4.500000000000000249800180540660221595317e-1", "5.000000000000000277555756156289135105908e-2", "-1.199999999999999955591079014993738383055"] },
        { "GlobalScaling", Quantity.Output, ["-7.5e-1", "1.875", "-3.0"] },
        { "GlobalScaling", Quantity.GradX, ["-4.499999999999999833466546306226518936455e-1", "1.650000000000000133226762955018784850836", "-1.049999999999999933386618522490607574582"] },
        { "GlobalScaling", Quantity.GradParameter, ["2.925000000000000016653345369377348106354"] },
        { "GlobalScaling", Quantity.SecondX, ["1.049999999999999894528812660610131124945e-1", "-3.850000000000000066613381477509372703895e-1", "2.449999999999999689137553104956178542144e-1"] },
        { "GlobalScaling", Quantity.SecondParameter, ["-8.000000000000000166533453693773511878424e-1"] },
        { "GlobalScaling", Quantity.SecondUpstream, ["-1.250000000000000277555756156289135105908e-1", "-1.037500000000000005551115123125782702118", "1.599999999999999922284388276239042170346"] },
        { "Softmax", Quantity.Output, ["1.984086355510622478895586444139066679293e-1", "7.37177511372081807923402474345448923519e-1", "6.44138530768559441870388812406444085517e-2"] },
        { "Softmax", Quantity.GradX, ["-1.497414239899058810347220457078746251222e-1", "2.176795026770383888837165112130074299609e-1", "-6.79380786871325078489944655051328048387e-2"] },
        { "Softmax", Quantity.GradParameter, ["-6.437949969540212564266607905072829462528e-1"] },
        { "Softmax", Quantity.SecondX, ["-3.706657273455835570543105963852160473954e-2", "5.653180001872523090876018023165435806477e-2", "-1.946522728416687520332912059313275332522e-2"] },
        { "Softmax", Quantity.SecondParameter, ["2.601148286133355257030524619065825483497e-1"] },
        { "Softmax", Quantity.SecondUpstream, ["-6.860487254046378358869726162386744123066e-2", "8.604657470276624836947230840202254148267e-2", "-1.744170216230246478077504677815510025201e-2"] },
        { "LogSum", Quantity.Output, ["-1.656568745487435351486139558978436750288"] },
        { "LogSum", Quantity.GradX, ["1.785677719959560275061594894375298302456e-1", "6.634597602348736434996911541340719642787e-1", "5.797246776917035119860984893152901394839e-2"] },
        { "LogSum", Quantity.GradParameter, ["1.155754656241891353195235153714744506155"] },
        { "LogSum", Quantity.SecondX, ["-6.174438528641740675316171737942167614611e-2", "7.744191723248962544314284606461277506192e-2", "-1.569753194607221868998112868519109891581e-2"] },
        { "LogSum", Quantity.SecondParameter, ["-1.290797216593718757961758765522604153465"] },
        { "LogSum", Quantity.SecondUpstream, ["7.453645639070004462094022918238998905547e-1"] },
    };

    [Theory]
    [MemberData(nameof(MpmathAtTheGenericPoint))]
    public void Every_quantity_agrees_with_mpmath_at_a_generic_point(string module, Quantity quantity, string[] expected)
    {
        var map = ExactMap.Named(module);
        AssertAgrees(expected, ExactReference.Evaluate(map, GenericPoint(map))[quantity], $"{module} {quantity}");
    }

    public static TheoryData<string, double, double, string[][]> MpmathOnSaturatedRows() => new()
    {
        // x = [5, 6], β = 40, g = [1, 2] (issue 11's example), (v, w) = 0: y, ∂E/∂x, ∂E/∂β, then zeros.
        { "Softmax", 40, 0, [
            ["0.9999999999999999957516457447084110227193", "4.248354255291588977280720904404506371435e-18"],
            ["1.699341702116635583692882810380141920667e-16", "-1.699341702116635583692882810380141920667e-16"],
            ["-4.248354255291588959232207025950354801666e-18"], ["0.0", "0.0"], ["0.0"], ["0.0", "0.0"]] },
        { "LogSum", 40, 0, [
            ["4.999999999999999999893791143617710275342"],
            ["0.9999999999999999957516457447084110227193", "4.248354255291588977280720904404506371435e-18"],
            ["1.088640777918469675484586337623823981495e-19"], ["0.0", "0.0"], ["0.0"], ["0.0"]] },
        // x = [0, 1], β = 700, g = [1, 2], v = [0.5, −0.25], w = 0.125: the weight off the maximum is e^−700.
        { "Softmax", 700, 1, [
            ["1.0", "9.859676543759770856705372947849465105116e-305"],
            ["6.901773580631839599693761063494625573581e-302", "-6.901773580631839599693761063494625573581e-302"],
            ["-9.859676543759770856705372947849465105116e-305"],
            ["3.622569640593704779860619926373360079116e-299", "-3.622569640593704779860619926373360079116e-299"],
            ["-5.167702968498089900270703596291600898219e-302"],
            ["-5.175097725905909728413232626002487997048e-302", "5.175097725905909728413232626002487997048e-302"]] },
        { "LogSum", 700, 1, [
            ["-1.408525220537110122386481849692780729302e-307"],
            ["1.0", "9.859676543759770856705372947849465105116e-305"],
            ["1.41053739942359170827560539519234184463e-307"],
            ["-5.175097725905909728413232626002487997048e-302", "5.175097725905909728413232626002487997048e-302"],
            ["7.392991713660587384905659909984285737418e-305"],
            ["0.5"]] },
    };

    [Theory]
    [MemberData(nameof(MpmathOnSaturatedRows))]
    public void Every_quantity_agrees_with_mpmath_on_saturated_rows(string module, double beta, double direction, string[][] expected)
    {
        var map = ExactMap.Named(module);
        var inputs = new MapInputs(1, 2,
            X: beta == 40 ? Values(5, 6) : Values(0, 1), Parameter: Values(beta),
            Upstream: map.ReducesRow ? Values(1) : Values(1, 2),
            DirectionX: Values(0.5 * direction, -0.25 * direction), DirectionParameter: Values(0.125 * direction));
        var exact = ExactReference.Evaluate(map, inputs);
        foreach (var quantity in Quantities.All)
            AssertAgrees(expected[(int)quantity], exact[quantity], $"{module} β = {beta} {quantity}");
    }

    /// <summary>Within 1e-38 of mpmath's 40 digits; where mpmath has exactly 0, exactly 0 (and 1 − 10^−305 may show as "1.0").</summary>
    private static void AssertAgrees(string[] expected, BigFloat[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            var reference = BigFloat.Parse(expected[i]);
            if (reference.IsZero)
                Assert.True(actual[i].IsZero, $"{what}[{i}]: {actual[i].ToString(40)}, expected exactly 0");
            else
                Assert.True(BigFloat.Abs(actual[i] - reference) <= BigFloat.Abs(reference) * 1e-38, $"{what}[{i}]: {actual[i].ToString(40)}, mpmath {expected[i]}");
        }
    }

    public static TheoryData<string> Modules() => [.. ExactMap.All.Select(map => map.Name)];

    /// <summary>
    /// Random rows (2 × 4) against the derivatives worked out by hand, in <see cref="HandDerivation"/>, at 512 bits:
    /// agreement to 2^−400 of each quantity's largest entry.
    /// </summary>
    [Theory]
    [MemberData(nameof(Modules))]
    public void Every_quantity_agrees_with_the_derivation_by_hand(string module)
    {
        var map = ExactMap.Named(module);
        var random = new SplitMix64(17);
        for (int trial = 0; trial < 10; trial++)
        {
            const int rows = 2, columns = 4;
            BigFloat[] Draw(int count, double scale) => [.. Enumerable.Range(0, count).Select(_ => BigFloat.FromDouble(random.Uniform(-scale, scale)))];
            int parameters = map.ParameterIsVector ? columns : 1;
            var inputs = new MapInputs(rows, columns, Draw(rows * columns, 3), Draw(parameters, 2), Draw(map.ReducesRow ? rows : rows * columns, 1),
                Draw(rows * columns, 1), Draw(parameters, 1));
            using var precision = BigFloat.UsePrecision(512);
            var byHyperDuals = map.Evaluate(inputs);
            var byHand = HandDerivation.Of(module, inputs);
            foreach (var quantity in Quantities.All)
            {
                var scale = byHand[quantity].Select(BigFloat.Abs).Aggregate(BigFloat.Max);
                for (int i = 0; i < byHand[quantity].Length; i++)
                    Assert.True(BigFloat.Abs(byHyperDuals[quantity][i] - byHand[quantity][i]) <= BigFloat.Scale(scale, -400),
                        $"{module} {quantity}[{i}] trial {trial}: {byHyperDuals[quantity][i].ToString(30)}, by hand {byHand[quantity][i].ToString(30)}");
            }
        }
    }

    [Fact]
    public void Softmax_rows_sum_to_one_and_a_common_offset_changes_neither_y_nor_the_gradients()
    {
        var map = ExactMap.Softmax;
        var inputs = new MapInputs(1, 3, Values(0.5, -1.25, 2.0), Values(0.75), Values(0.3, -1.1, 0.7), Values(0.2, 0.4, -0.6), Values(0));
        var shifted = inputs with { X = Values(700.5, 698.75, 702.0) };
        var exact = ExactReference.Evaluate(map, inputs);
        var exactShifted = ExactReference.Evaluate(map, shifted);
        using var precision = BigFloat.UsePrecision(256);
        Assert.True(BigFloat.Abs(exact.Output.Aggregate((a, b) => a + b) - BigFloat.One) <= BigFloat.Scale(BigFloat.One, -200));
        foreach (var quantity in new[] { Quantity.Output, Quantity.GradX, Quantity.SecondX, Quantity.SecondUpstream })
            for (int i = 0; i < 3; i++)
                Assert.True(BigFloat.Abs(exact[quantity][i] - exactShifted[quantity][i]) <= BigFloat.Scale(BigFloat.Abs(exact[quantity][i]), -100), $"{quantity}[{i}]");
    }

    [Fact]
    public void LogSum_is_a_soft_minimum_whose_gradient_is_the_softmax_of_the_same_row()
    {
        var row = new MapInputs(1, 3, Values(0.5, -1.25, 2.0), Values(0.75), Values(1), Values(0, 0, 0), Values(0));
        var logSum = ExactReference.Evaluate(ExactMap.LogSum, row);
        var softmax = ExactReference.Evaluate(ExactMap.Softmax, row with { Upstream = Values(0, 0, 0) });
        for (int i = 0; i < 3; i++)
            Assert.True(BigFloat.Abs(logSum.GradX[i] - softmax.Output[i]) <= BigFloat.Scale(softmax.Output[i], -100), $"∂y/∂x[{i}]");
        // Three equal entries: y = x − log 3 / β exactly, and ∂y/∂β = log 3 / β² (the entropy of the uniform weights over β²).
        var tie = ExactReference.Evaluate(ExactMap.LogSum, row with { X = Values(2, 2, 2) });
        using var precision = BigFloat.UsePrecision(256);
        var log3 = BigFloat.Log(3);
        Assert.True(BigFloat.Abs(tie.Output[0] - (2 - log3 / 0.75)) <= BigFloat.Scale(BigFloat.One, -100));
        Assert.True(BigFloat.Abs(tie.GradParameter[0] - log3 / (0.75 * 0.75)) <= BigFloat.Scale(BigFloat.One, -100));
    }

    [Fact]
    public void Exact_zeros_come_out_as_zero_and_tiny_values_keep_their_size()
    {
        // A constant g on a Softmax row: E = g Σ y = g, so both gradients are exactly 0; so is ∂E/∂β on a row of ties.
        var constantUpstream = ExactReference.Evaluate(ExactMap.Softmax, new MapInputs(1, 3, Values(0.5, -1.25, 2.0), Values(0.75), Values(0.4, 0.4, 0.4), Values(0.2, 0.4, -0.6), Values(0.3)));
        Assert.All(constantUpstream.GradX.Append(constantUpstream.GradParameter[0]), value => Assert.True(value.IsZero, value.ToString(20)));
        var ties = ExactReference.Evaluate(ExactMap.Softmax, new MapInputs(1, 3, Values(1.5, 1.5, 1.5), Values(40), Values(0.3, -1.1, 0.7), Values(0, 0, 0), Values(0)));
        Assert.True(ties.GradParameter[0].IsZero, ties.GradParameter[0].ToString(20));
        // e^−800 / (1 + e^−800): not a double (it underflows), but not zero either.
        var tiny = ExactReference.Evaluate(ExactMap.Softmax, new MapInputs(1, 2, Values(0, 1), Values(800), Values(1, 2), Values(0, 0), Values(0)));
        Assert.Equal(BigFloat.Exp(-800).ToString(15), tiny.Output[1].ToString(15));
    }
}
