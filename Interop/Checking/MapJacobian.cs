using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// The Jacobians of one of the five maps at one point, for showing as matrices: ∂y/∂x, and ∂y/∂β, ∂y/∂K or ∂y/∂k.
/// Shapes follow <see cref="Jacobian"/>: ∂y/∂x is y.shape ++ x.shape, so for x of shape [N] it is an N×N matrix
/// (one row per y_i) for the element-wise maps and softmax, and a row of N for LogSum; ∂y/∂β is shaped like y, and
/// ∂y/∂K is y.shape ++ [N]. For a batch, <c>reshape(y.numel(), -1)</c> gives the full matrix.
/// </summary>
/// <param name="Output">y, detached.</param>
/// <param name="DyDx">∂y/∂x.</param>
/// <param name="DyDParameter">∂y/∂β, ∂y/∂K or ∂y/∂k.</param>
public sealed record MapJacobian(Tensor Output, Tensor DyDx, Tensor DyDParameter)
{
    /// <summary>
    /// The Jacobians through <paramref name="map"/>'s backward (one backward per element of y), in the inputs' dtype;
    /// pass a hand-written Function's <c>apply</c> to see what its backward computes. Meant for small x.
    /// </summary>
    public static MapJacobian Of(Func<Tensor, Tensor, Tensor> map, Tensor x, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(map);
        var jacobians = Jacobian.analytical(arguments => [map(arguments[0], arguments[1])], [x, parameter]);
        return new MapJacobian(OutputOf(map, x, parameter), jacobians[0, 0], jacobians[0, 1]);
    }

    /// <summary>The same Jacobians by central differences with step <paramref name="eps"/>, in float64; to set beside <see cref="Of"/>.</summary>
    public static MapJacobian Numerical(Func<Tensor, Tensor, Tensor> map, Tensor x, Tensor parameter, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(map);
        var jacobians = Jacobian.numerical(arguments => [map(arguments[0], arguments[1])], [x, parameter], eps);
        return new MapJacobian(OutputOf(map, x, parameter), jacobians[0, 0], jacobians[0, 1]);
    }

    private static Tensor OutputOf(Func<Tensor, Tensor, Tensor> map, Tensor x, Tensor parameter)
    {
        using var noGrad = no_grad();
        return map(x.detach(), parameter.detach());
    }
}
