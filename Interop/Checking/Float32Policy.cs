namespace Interop.Checking;

/// <summary>
/// How the checks treat inputs narrower than float64 (float32, float16, bfloat16). Finite differences are always taken
/// in float64, on upcast copies: at eps = 1e-6 a float32 difference quotient is mostly rounding noise, which is why
/// PyTorch's gradcheck fails spuriously on float32. The policy decides where the analytical side runs. Either way
/// the report carries a warning that names the inputs concerned; nothing is printed.
/// </summary>
public enum Float32Policy
{
    /// <summary>
    /// The default. The function and its backward also run on float64 copies, so the check verifies the derivation
    /// at float64 precision with the usual tolerances; float32 rounding in the backward is not examined.
    /// </summary>
    Upcast,

    /// <summary>
    /// The function and its backward run in the inputs' own dtype and are compared with float64 finite differences,
    /// so the float32 backward that will actually run is the one checked. Its rounding (about 1e-7 relative) is far
    /// inside the default rtol of 1e-3, but tight tolerances such as <see cref="GradientCheckOptions.Comparison"/> will fail.
    /// </summary>
    AsGiven,
}
