using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Functions;

/// <summary>
/// Argument checks shared by the five Functions. They run in <c>apply</c>/<c>forward</c>, never in backward:
/// an exception thrown inside TorchSharp's autograd engine can end the process instead of reaching the caller.
/// Every message names the Function, the argument, what was expected and what came.
/// </summary>
internal static class FunctionArguments
{
    /// <summary>Unpacks <c>(x, parameter)</c> from the untyped argument list of <c>forward</c>.</summary>
    public static (Tensor X, Tensor Parameter) Unpack(string function, object[] vars, string parameterName)
    {
        if (vars.Length != 2)
            throw new ArgumentException($"{function}: expected 2 arguments (x, {parameterName}); got {vars.Length}.", nameof(vars));
        return (AsTensor(function, "x", vars[0]), AsTensor(function, parameterName, vars[1]));
    }

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

    private static Tensor AsTensor(string function, string name, object? value) => value switch
    {
        Tensor { IsInvalid: false } tensor => tensor,
        Tensor => throw new ArgumentException($"{function}: '{name}' must be a live tensor; got a disposed one.", name),
        null => throw new ArgumentNullException(name, $"{function}: '{name}' must be a tensor; got null."),
        _ => throw new ArgumentException($"{function}: '{name}' must be a tensor; got {value.GetType().Name}.", name),
    };
}
