using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Support;

/// <summary>Assertions on tensors whose failure messages say by how much and where.</summary>
internal static class TensorAssert
{
    /// <summary>
    /// Asserts equal shapes and max |actual − expected| ≤ rtol · max(|expected|), the error measured against the
    /// expected tensor's scale so that near-zero elements do not make a relative test meaningless.
    /// </summary>
    public static void Close(Tensor expected, Tensor actual, double rtol, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        if (expected.numel() == 0)
            return;
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        var a = actual.to(ScalarType.Float64);
        Assert.True(e.isfinite().all().ToBoolean(), $"{what}: the expected tensor is not finite: {e.ToString(TorchSharp.TensorStringStyle.Julia)}");
        Assert.True(a.isfinite().all().ToBoolean(), $"{what}: not finite: {a.ToString(TorchSharp.TensorStringStyle.Julia)}");
        double error = (a - e).abs().max().ToDouble();
        double scale = e.abs().max().ToDouble();
        Assert.True(error <= rtol * scale || error == 0,
            $"{what}: max abs error {error:E3} exceeds {rtol:E1} × scale {scale:E3} (worst at flat index {(a - e).abs().argmax().ToInt64()})");
    }

    public static void AllFinite(Tensor actual, string what) =>
        Assert.True(actual.isfinite().all().ToBoolean(), $"{what} is not finite: {actual.ToString(TorchSharp.TensorStringStyle.Julia)}");
}
