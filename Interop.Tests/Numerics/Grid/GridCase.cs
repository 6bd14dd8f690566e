using System.Globalization;
using Interop.Tests.Numerics.Exact;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Grid;

/// <summary>
/// One input of the accuracy grid: x, the parameter, the upstream gradient g and the direction (v, w) of the
/// second-order products, all flattened row-major and all exactly representable in <see cref="DType"/>.
/// </summary>
/// <param name="Module">The map's name, as in <c>ModuleMap</c> and <see cref="ExactMap"/>.</param>
/// <param name="DType">float32 or float64: the Function runs in it; the reference reads the same values exactly.</param>
/// <param name="Family">The kind of trouble the case probes (see <see cref="NumericsGrid"/>).</param>
/// <param name="Index">Its number within the module, dtype and family.</param>
/// <param name="Shape">x's shape; the parameter is 0-d or [N], g has the output's shape, v x's and w the parameter's.</param>
/// <param name="StandInExponent">
/// 0, or for a case with infinite x or β the power of two that the reference puts in place of ∞: ±∞ becomes
/// ±2^StandInExponent, and the limit the docs promise is the reference's value there, rounded (the grid's tests check
/// that a larger stand-in changes nothing).
/// </param>
public sealed record GridCase(
    string Module, ScalarType DType, string Family, int Index, long[] Shape,
    double[] X, double[] Parameter, double[] Upstream, double[] DirectionX, double[] DirectionParameter,
    int StandInExponent)
{
    public string DTypeName => DType == ScalarType.Float32 ? "float32" : "float64";

    public string Id => $"{Module} {DTypeName} {Family} #{Index}";

    public long[] ParameterShape => Parameter.Length == 1 && !ExactMap.Named(Module).ParameterIsVector ? [] : [Parameter.Length];

    public long[] OutputShape => ExactMap.Named(Module).ReducesRow ? Shape[..^1] : Shape;

    /// <summary>The inputs in a line: x, the parameter and g (up to 8 values each).</summary>
    public string Describe(string parameterName) =>
        $"x = {Show(X, Shape)}, {parameterName} = {Show(Parameter, ParameterShape)}, g = {Show(Upstream, OutputShape)}";

    private static string Show(double[] values, long[] shape)
    {
        var text = string.Join(", ", values.Take(8).Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        var more = values.Length > 8 ? ", …" : "";
        return shape.Length == 0 ? text : $"[{text}{more}] (shape [{string.Join(", ", shape)}])";
    }

    /// <summary>The same values for the exact reference, infinities replaced by ±2^<see cref="StandInExponent"/>.</summary>
    public MapInputs ToExactInputs()
    {
        int columns = Shape.Length == 0 ? 1 : (int)Shape[^1];
        var standIn = BigFloat.Scale(BigFloat.One, StandInExponent);
        BigFloat[] Exact(double[] values) => [.. values.Select(v => double.IsInfinity(v) ? (v > 0 ? standIn : -standIn) : BigFloat.FromDouble(v))];
        return new MapInputs(X.Length / columns, columns, Exact(X), Exact(Parameter), Exact(Upstream), Exact(DirectionX), Exact(DirectionParameter));
    }
}
