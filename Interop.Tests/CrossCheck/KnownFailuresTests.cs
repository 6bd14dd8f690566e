using Interop.CrossCheck;
using Interop.Reference;
using Interop.Tests.Numerics;
using Interop.Tests.Numerics.Grid;

namespace Interop.Tests.CrossCheck;

/// <summary>
/// The cross-check's list of known failures (Interop.CrossCheck/KnownFailures.txt): how it is read, how a fixed
/// failure shows up as stale, and that every line of the committed list names an element that exists.
/// </summary>
public class KnownFailuresTests
{
    private static readonly string CommittedList = Path.Combine(AppContext.BaseDirectory, "CrossCheck", KnownFailures.FileName);

    [Fact]
    public void Comments_and_blank_lines_are_skipped_and_spaces_around_the_bars_do_not_matter()
    {
        var known = KnownFailures.Parse(
            ["# a comment", "", "   ", "Softmax float32 wide #0 | y forward | [2]", "  LogSum float32 wide #2|dE/dx plain|[12]  "],
            "list.txt");

        Assert.Equal(2, known.Keys.Count);
        Assert.True(known.Contains("Softmax float32 wide #0 | y forward | [2]"));
        Assert.True(known.Contains("LogSum float32 wide #2 | dE/dx plain | [12]"));
        Assert.False(known.Contains("Softmax float32 wide #0 | y forward | [3]"));
    }

    [Theory]
    [InlineData("Softmax float32 wide #0 | y forward")]
    [InlineData("Softmax float32 wide #0 | y forward | [2] | extra")]
    [InlineData("Softmax float32 wide #0 | y forward | 2")]
    [InlineData("Softmax float32 wide #0 | y forward | []")]
    [InlineData("Softmax float32 wide #0 | y forward | [two]")]
    [InlineData(" | y forward | [2]")]
    [InlineData("Softmax float32 wide #0 |  | [2]")]
    public void A_malformed_line_is_refused_with_the_file_the_line_and_the_expected_form(string line)
    {
        var e = Assert.Throws<InvalidDataException>(() => KnownFailures.Parse(["# header", line], "list.txt"));

        Assert.StartsWith("list.txt:2: expected 'case | quantity | [element]', got '", e.Message);
        Assert.Contains(line.Trim(), e.Message);
    }

    [Fact]
    public void A_repeated_line_is_refused_naming_both_lines()
    {
        var e = Assert.Throws<InvalidDataException>(() => KnownFailures.Parse(
            ["Softmax float32 wide #0 | y forward | [2]", "LogSum float32 wide #2 | dE/dx plain | [2]", "Softmax float32 wide #0 |y forward| [2]"],
            "list.txt"));

        Assert.Equal("list.txt:3: 'Softmax float32 wide #0 |y forward| [2]' is already listed at line 1.", e.Message);
    }

    [Fact]
    public void A_listed_failure_that_no_longer_fails_is_stale()
    {
        var known = KnownFailures.Parse(["A #0 | y forward | [1]", "A #0 | y forward | [2]", "B #1 | dE/dx plain | [0]"], "list.txt");

        var stale = known.Except(["A #0 | y forward | [2]", "C #3 | d2/dx create_graph | [5]"]);

        Assert.Equal(["A #0 | y forward | [1]", "B #1 | dE/dx plain | [0]"], stale.Order(StringComparer.Ordinal));
        Assert.Empty(known.Except(known.Keys));
    }

    [Fact]
    public void The_key_of_an_element_names_the_case_the_measure_with_the_modules_parameter_and_the_element()
    {
        var gridCase = NumericsGrid.Cases.First(c => c.Module == "ComponentScaling");
        var result = new CaseResult(gridCase, null!, new Dictionary<Measure, double[]>(), new Dictionary<Measure, ElementError[]>());

        string key = KnownFailures.KeyOf(result, new Measure(Quantity.GradParameter, GradientPath.Recorded), 3);

        Assert.Equal($"{gridCase.Id} | dE/dk create_graph | [3]", key);
    }

    [Fact]
    public void Every_line_of_the_committed_list_names_a_grid_case_a_measure_and_an_element_that_exist()
    {
        var known = KnownFailures.Parse(File.ReadLines(CommittedList), CommittedList);
        var cases = NumericsGrid.Cases.ToDictionary(c => c.Id);
        Assert.NotEmpty(known.Keys);

        foreach (string key in known.Keys)
        {
            var parts = key.Split(" | ");
            Assert.True(cases.TryGetValue(parts[0], out var gridCase), $"{key}: no grid case is called '{parts[0]}'.");
            string parameterName = ModuleMap.All.Single(m => m.Name == gridCase.Module).ParameterName;
            var measures = Measure.All.Where(m => m.Name(parameterName) == parts[1]).ToList();
            Assert.True(measures.Count == 1, $"{key}: '{parts[1]}' is not a measure of {gridCase.Module}.");
            int element = int.Parse(parts[2][1..^1]);
            long count = ElementCount(gridCase, measures[0].Quantity);
            Assert.True(element < count, $"{key}: {parts[1]} of that case has {count} elements.");
        }
    }

    private static long ElementCount(GridCase gridCase, Quantity quantity) => quantity switch
    {
        Quantity.GradX or Quantity.SecondX => gridCase.X.Length,
        Quantity.GradParameter or Quantity.SecondParameter => gridCase.Parameter.Length,
        _ => gridCase.OutputShape.Aggregate(1L, (product, size) => product * size),
    };
}
