using Interop.Checking;
using Interop.Functions;
using Interop.Tests.Numerics;
using Interop.Tests.Numerics.Grid;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>
/// <see cref="LimitValueFunction"/>, the value of one tensor with the derivative of another, and what it is for:
/// Exponential's recorded ∂E/∂β where the plain sum Σ x g y is ∞ − ∞ and the value is the rescaled limit.
/// </summary>
public class LimitValueTests
{
    [Fact]
    public void The_value_is_the_limit_and_the_gradient_goes_to_the_formula_alone()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }).requires_grad_();
        var limit = tensor(new[] { 7.0, -8.0, 9.0 }).requires_grad_();

        var y = LimitValueFunction.apply(x * x, limit);
        var grads = SafeAutograd.grad([y], [x, limit], [tensor(new[] { 1.0, 10.0, 100.0 })], allow_unused: true);

        Assert.Equal([7.0, -8.0, 9.0], y.data<double>().ToArray());
        Assert.Equal([2.0, 40.0, 600.0], grads[0]!.data<double>().ToArray());
        Assert.Null(grads[1]);
    }

    [Fact]
    public void Recorded_the_gradient_is_differentiated_as_the_formulas_own()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }).requires_grad_();
        var g = tensor(new[] { 1.0, 10.0, 100.0 }).requires_grad_();

        var y = LimitValueFunction.apply(x.pow(3), zeros(3, ScalarType.Float64));
        var gradX = SafeAutograd.grad([y], [x], [g], create_graph: true)[0]!;
        var second = SafeAutograd.grad([gradX.sum()], [x, g]);

        // ∂E/∂x = 3x² g, whose gradient is 6x g by x and 3x² by g.
        Assert.Equal([3.0, 120.0, 2700.0], gradX.detach().data<double>().ToArray());
        Assert.Equal([6.0, 120.0, 1800.0], second[0]!.data<double>().ToArray());
        Assert.Equal([3.0, 12.0, 27.0], second[1]!.data<double>().ToArray());
    }

    /// <summary>
    /// Rows near the top of float64's range (x ≈ 7e5, β = −1e−3, y ≈ e^696) where a term x·g·y overflows although
    /// ∂E/∂β = −Σ x g y does not: in the first, terms of both signs overflow and the plain sum is ∞ − ∞; in the
    /// second, one term alone overflows and the plain sum is +∞. w, the direction's β component, is small enough for
    /// d2/dβ to be finite (1e−6) or just large enough for it to be beyond the range (1e−5), where it must be the same
    /// infinity; d2/dx and d2/dg are finite.
    /// </summary>
    public static TheoryData<double[], double[], double> OverflowingTerms() => new()
    {
        { [696440, 696540, 696300], [-1, 1, 0.25], 1e-6 },
        { [696440, 696540, 696300], [-1, 1, 0.25], 1e-5 },
        { [696000, 696540, 695500, 696200], [-1, 1, 0.5, -0.25], 1e-6 },
        { [696000, 696540, 695500, 696200], [-1, 1, 0.5, -0.25], 1e-5 },
    };

    [Theory]
    [MemberData(nameof(OverflowingTerms))]
    public void Exponential_beta_gradient_where_terms_of_its_sum_overflow_is_right_at_first_and_second_order(double[] x, double[] g, double w)
    {
        double beta = -1e-3;
        Assert.Contains(double.PositiveInfinity, x.Zip(g, (xi, gi) => xi * gi * Math.Exp(-beta * xi)));
        var gridCase = new GridCase("Exponential", ScalarType.Float64, "offset", 0, [x.Length], x, [beta], g,
            DirectionX: [.. x.Select((_, i) => 0.5 - 0.3 * i)], DirectionParameter: [w], StandInExponent: 0);

        var result = GridEvaluation.Evaluate([gridCase]).Single();

        Assert.True(double.IsFinite(result.Exact[Quantity.GradParameter][0].ToDouble()), "the exact ∂E/∂β should be finite here");
        foreach (var measure in Measure.All)
        {
            double tolerance = AccuracyGoal.ToleranceFor(ScalarType.Float64, "offset", measure)!.Value;
            var errors = result.Errors[measure];
            for (int i = 0; i < errors.Length; i++)
                Assert.True(errors[i].Error <= tolerance,
                    $"{measure.Name("beta")} [{i}]: got {result.Actual[measure][i]:R}, exact {result.Exact[measure.Quantity][i].ToString(12)}");
        }
    }
}
