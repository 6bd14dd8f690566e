using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interop.Modules;

/// <summary>Parameter construction shared by the module wrappers.</summary>
internal static class ModuleParameters
{
    public static Parameter Scalar(string module, double value, bool requiresGrad, ScalarType dtype, Device? device)
    {
        RequireFloating(module, dtype);
        return new Parameter(tensor(value, dtype, device), requiresGrad);
    }

    public static void RequireFloating(string module, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"{module}: 'dtype' must be Float32 or Float64; got {dtype}.", nameof(dtype));
    }
}
