namespace Interop.Checking;

/// <summary>
/// The keyword options of <see cref="GradientCheck.gradcheck(Func{TorchSharp.torch.Tensor[], TorchSharp.torch.Tensor[]}, IReadOnlyList{TorchSharp.torch.Tensor}, GradientCheckOptions?)"/>,
/// <c>gradgradcheck</c> and <c>compare</c>, named as in PyTorch's <c>torch.autograd.gradcheck</c>. Write
/// <c>new GradientCheckOptions(fast_mode: true)</c> or <c>GradientCheckOptions.Default with { atol = 1e-8 }</c>.
/// An element passes when |actual − expected| ≤ atol + rtol · |expected|.
/// </summary>
/// <param name="eps">Step of the central differences (f(x + eps) − f(x − eps)) / (2 eps), taken in float64.</param>
/// <param name="atol">Absolute tolerance.</param>
/// <param name="rtol">Relative tolerance, a fraction of |expected|.</param>
/// <param name="fast_mode">
/// Compare one random projection vᵀ J u per (output, input) pair instead of every element, as PyTorch's fast mode does
/// (atol is scaled by Σu · Σv to match). A pair that fails the projection is re-checked element by element and that
/// verdict stands, so a failure always comes with the worst element located.
/// </param>
/// <param name="nondet_tol">How far two backward passes with the same grad_output may differ (0: bit for bit).</param>
/// <param name="float32">What to do with inputs narrower than float64; see <see cref="Float32Policy"/>.</param>
/// <param name="second_order">
/// Whether <c>gradcheck</c> and <c>compare</c> also check the backward's own derivatives (the
/// <c>gradgradcheck</c> part). On by default, so that a backward that is right to first order but not
/// differentiable correctly fails without anyone having to remember a second check; turn it off for a backward that
/// is meant to be differentiated only once.
/// </param>
/// <param name="seed">Seed of the random grad_outputs and projections, so that a report can be reproduced.</param>
public sealed record GradientCheckOptions(
    double eps = 1e-6,
    double atol = 1e-5,
    double rtol = 1e-3,
    bool fast_mode = false,
    double nondet_tol = 0.0,
    Float32Policy float32 = Float32Policy.Upcast,
    bool second_order = true,
    ulong seed = 0)
{
    /// <summary>PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3, slow mode, plus a second-order check.</summary>
    public static GradientCheckOptions Default { get; } = new();

    /// <summary>
    /// The defaults of <c>compare</c>: atol 1e-12 and rtol 1e-10. Both sides of a comparison are exact up to
    /// float64 rounding, so the finite-difference tolerances would let real errors through.
    /// </summary>
    public static GradientCheckOptions Comparison { get; } = new(atol: 1e-12, rtol: 1e-10);

    /// <summary>Whether the function and its backward run on float64 copies of narrower inputs (<see cref="Float32Policy.Upcast"/>).</summary>
    internal bool AnalyticalInFloat64 => float32 == Float32Policy.Upcast;

    /// <summary>Throws if an option is out of range; the message names the option, what it must be and what it is.</summary>
    internal void Validate()
    {
        if (!(eps > 0) || double.IsInfinity(eps))
            throw new ArgumentException($"GradientCheckOptions: 'eps' must be positive and finite; got {eps}.", nameof(eps));
        RequireNonNegative(atol, nameof(atol));
        RequireNonNegative(rtol, nameof(rtol));
        RequireNonNegative(nondet_tol, nameof(nondet_tol));
        if (!Enum.IsDefined(float32))
            throw new ArgumentException($"GradientCheckOptions: 'float32' must be Upcast or AsGiven; got {float32}.", nameof(float32));
    }

    private static void RequireNonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentException($"GradientCheckOptions: '{name}' must be a finite number ≥ 0; got {value}.", name);
    }
}
