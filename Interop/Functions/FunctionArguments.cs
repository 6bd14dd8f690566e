using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Argument checks shared by the five Functions' <c>validate</c>, which the runtime calls once per call, before
/// anything reaches autograd. Every message names the Function, the argument, what was expected and what came.
/// </summary>
internal static class FunctionArguments
{
    /// <summary>Checks what every Function needs: floating x, and a parameter of x's dtype on x's device.</summary>
    public static void RequireFloatingPair(string function, Tensor x, Tensor parameter, string parameterName)
    {
        if (x.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"{function}: 'x' must be float32 or float64; got {x.dtype}.", "x");
        if (parameter.dtype != x.dtype)
            throw new ArgumentException($"{function}: '{parameterName}' must have x's dtype {x.dtype}; got {parameter.dtype}.", parameterName);
        if (parameter.device_type != x.device_type || parameter.device_index != x.device_index)
            throw new ArgumentException($"{function}: '{parameterName}' must be on x's device {x.device}; got {parameter.device}.", parameterName);
    }

    /// <summary>Checks that a parameter is a 0-d tensor, as β and k are.</summary>
    public static void RequireScalar(string function, Tensor parameter, string parameterName)
    {
        if (parameter.dim() != 0)
            throw new ArgumentException($"{function}: '{parameterName}' must be a 0-d tensor (a scalar); got shape {Shape(parameter)}.", parameterName);
    }

    /// <summary>Checks that x has a last dimension with at least one element, for the maps that reduce or index along it.</summary>
    public static void RequireNonEmptyLastDim(string function, Tensor x)
    {
        if (x.dim() == 0 || x.size(-1) == 0)
            throw new ArgumentException($"{function}: 'x' must have shape [..., N] with N ≥ 1; got shape {Shape(x)}.", "x");
    }

    public static string Shape(Tensor tensor) => $"[{string.Join(", ", tensor.shape)}]";
}
