using Interop.Checking;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Numerics.Exact;

/// <summary>
/// <see cref="ExactReference"/> in the shape of <see cref="MapGradients"/>: y, ∂E/∂x and ∂E/∂p for finite tensors,
/// each element the exact value rounded to float64, for tests that need the true value rather than the twin's.
/// </summary>
public static class ExactGradients
{
    /// <summary>The exact values at <paramref name="x"/>, <paramref name="parameter"/> and g = <paramref name="upstream"/> (any dtype, finite).</summary>
    public static MapGradients Of(string module, Tensor x, Tensor parameter, Tensor upstream)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(upstream);
        var map = ExactMap.Named(module);
        int columns = x.dim() == 0 ? 1 : (int)x.size(-1);
        var exactX = Exact(x);
        var inputs = new MapInputs(exactX.Length / columns, columns, exactX, Exact(parameter), Exact(upstream),
            new BigFloat[exactX.Length].Select(_ => BigFloat.Zero).ToArray(), new BigFloat[parameter.numel()].Select(_ => BigFloat.Zero).ToArray());
        var exact = ExactReference.Evaluate(map, inputs);
        Tensor Rounded(BigFloat[] values, long[] shape) => tensor(values.Select(v => v.ToDouble()).ToArray(), shape, ScalarType.Float64);
        return new MapGradients(Rounded(exact.Output, upstream.shape), Rounded(exact.GradX, x.shape), Rounded(exact.GradParameter, parameter.shape));
    }

    private static BigFloat[] Exact(Tensor t) =>
        [.. t.detach().contiguous().to(ScalarType.Float64).data<double>().ToArray().Select(BigFloat.FromDouble)];
}
