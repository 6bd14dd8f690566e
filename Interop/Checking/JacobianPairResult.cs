namespace Interop.Checking;

/// <summary>
/// The verdict on one Jacobian ∂output/∂input of a check: how far the two ways of computing it are apart, and where
/// they are furthest apart. "Expected" is the reference (finite differences for gradcheck, autograd of the twin for
/// compare) and "Actual" the side under test (the backward). An element passes when
/// |actual − expected| ≤ atol + rtol · |expected|; the worst element is the one that uses up the most of its tolerance.
/// </summary>
/// <param name="Order">1 for ∂y/∂input; 2 when the output is itself a gradient and this pair checks the backward's derivative.</param>
/// <param name="OutputIndex">Which output (for order 2: which gradient, numbered like the inputs).</param>
/// <param name="Output">The output's name, e.g. <c>y</c> or <c>∂E/∂x</c>.</param>
/// <param name="InputIndex">Which of the checked inputs.</param>
/// <param name="Input">The input's name, e.g. <c>x</c>, <c>β</c> or, for order 2, <c>∂E/∂y</c>.</param>
/// <param name="Passed">Whether every element is within tolerance (or, in fast mode, the projection is).</param>
/// <param name="Projected">
/// True when only fast mode's projection vᵀ J u was compared (it passed, so no element was examined); then
/// <see cref="Expected"/> and <see cref="Actual"/> are the two projections and the worst indices are null.
/// </param>
/// <param name="MaxAbsError">max |actual − expected| over the elements.</param>
/// <param name="MaxRelError">max |actual − expected| / |expected| (infinite where expected is 0 and actual is not).</param>
/// <param name="WorstOutputIndex">Index of the worst element within the output (empty for a 0-d output).</param>
/// <param name="WorstInputIndex">Index of the worst element within the input (empty for a 0-d input).</param>
/// <param name="Expected">The expected value at the worst element.</param>
/// <param name="Actual">The actual value at the worst element.</param>
/// <param name="Tolerance">The bound that the worst element had to meet: atol + rtol · |expected| (with atol scaled by Σu · Σv for a projection).</param>
public sealed record JacobianPairResult(
    int Order,
    int OutputIndex,
    string Output,
    int InputIndex,
    string Input,
    bool Passed,
    bool Projected,
    double MaxAbsError,
    double MaxRelError,
    long[]? WorstOutputIndex,
    long[]? WorstInputIndex,
    double Expected,
    double Actual,
    double Tolerance)
{
    /// <summary>The derivative this pair is about, e.g. <c>∂y/∂β</c> or <c>∂(∂E/∂x)/∂x</c>.</summary>
    public string Derivative => $"∂{Group(Output)}/∂{Group(Input)}";

    /// <summary>The worst element's derivative, e.g. <c>∂y[1, 2]/∂x[1, 0]</c>, or <c>vᵀJu</c> for a projection.</summary>
    public string WorstElement => Projected
        ? "vᵀJu"
        : $"∂{Group(Output)}{Subscript(WorstOutputIndex)}/∂{Group(Input)}{Subscript(WorstInputIndex)}";

    private static string Group(string name) => name.Contains('/') ? $"({name})" : name;

    private static string Subscript(long[]? index) => index is { Length: > 0 } ? $"[{string.Join(", ", index)}]" : "";
}
