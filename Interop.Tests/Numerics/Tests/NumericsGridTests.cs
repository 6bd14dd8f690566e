using Interop.Tests.Numerics.Exact;
using Interop.Tests.Numerics.Grid;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Tests;

/// <summary>
/// Issue 11's goals on the grid, judged by the exact reference. Each registered goal (Goals/RegisteredGoals.txt) is a
/// test; the goals in Goals/ExpectedToHoldAfterFixes.txt fail today and move to the registered list, unchanged, once
/// the Functions are fixed (the NumericsReport tool lists the ones that hold).
/// </summary>
public class NumericsGridTests
{
    public static TheoryData<string> RegisteredGoals() => [.. Goals.Registered];

    [Theory]
    [MemberData(nameof(RegisteredGoals))]
    public void Registered_goal_holds(string goal)
    {
        var failures = Goals.Failures(goal);
        Assert.True(failures.Count == 0, $"{goal}:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public void Every_goal_is_in_exactly_one_of_the_two_lists()
    {
        var listed = Goals.Registered.Concat(Goals.ExpectedToHoldAfterFixes).ToList();
        Assert.Empty(listed.GroupBy(goal => goal).Where(group => group.Count() > 1).Select(group => group.Key));
        Assert.Empty(listed.Except(Goals.All));
        Assert.Empty(Goals.All.Except(listed));
    }

    public static TheoryData<string> LimitCases() => [.. NumericsGrid.Cases.Where(c => c.StandInExponent != 0).Select(c => c.Id)];

    /// <summary>
    /// A limit case's expected values are the reference's at a finite stand-in for ∞. Doubling the stand-in must not
    /// change y or the gradients once rounded to the case's dtype: the limit has been reached.
    /// </summary>
    [Theory]
    [MemberData(nameof(LimitCases))]
    public void The_stand_in_for_infinity_is_large_enough_to_give_the_limit(string id)
    {
        var gridCase = NumericsGrid.Cases.Single(c => c.Id == id);
        var map = ExactMap.Named(gridCase.Module);
        var atStandIn = ExactReference.Evaluate(map, gridCase.ToExactInputs());
        var atTwice = ExactReference.Evaluate(map, (gridCase with { StandInExponent = gridCase.StandInExponent + 1 }).ToExactInputs());
        bool float32 = gridCase.DType == ScalarType.Float32;
        double Rounded(BigFloat value) => float32 ? value.ToSingle() : value.ToDouble();
        foreach (var quantity in new[] { Quantity.Output, Quantity.GradX, Quantity.GradParameter })
            Assert.Equal(atStandIn[quantity].Select(Rounded), atTwice[quantity].Select(Rounded));
    }
}
