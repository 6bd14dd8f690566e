using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// Fast mode's projections vᵀ J u of each Jacobian J[o, k] onto random unit vectors u_k (shaped like input k) and v_o
/// (shaped like output o), both ways: by one central difference along u_k, and by one backward with v_o. That is
/// two function evaluations per input and one backward per output, whatever their sizes.
/// </summary>
internal static class JacobianProjection
{
    /// <summary>
    /// vᵀ J u by finite differences: v_o · (f(…, x_k + eps u_k, …) − f(…, x_k − eps u_k, …)) / (2 eps), in float64.
    /// </summary>
    public static double[,] Numerical(Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> inputs, Tensor[] u, Tensor[] v, double eps)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var points = inputs.Select(Jacobian.ToFloat64Copy).ToArray();
        var projections = new double[v.Length, points.Length];
        using var step = eps.ToScalar();
        using var width = (2 * eps).ToScalar();
        for (int k = 0; k < points.Length; k++)
        {
            using var iteration = NewDisposeScope();
            var center = points[k];
            points[k] = center.add(u[k].mul(step), HeldScalars.One);
            var plus = Jacobian.Evaluate("gradcheck (fast mode)", function, points);
            points[k] = center - u[k].mul(step);
            var minus = Jacobian.Evaluate("gradcheck (fast mode)", function, points);
            points[k] = center;
            for (int o = 0; o < v.Length; o++)
                projections[o, k] = plus[o].sub(minus[o]).div_(width).to(ScalarType.Float64).mul_(v[o]).sum().ToDouble();
        }
        return projections;
    }

    /// <summary>vᵀ J u through backward: one vector-Jacobian product per output, in the inputs' own dtype, dotted with each u_k.</summary>
    public static double[,] Analytical(Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> inputs, Tensor[] u, Tensor[] v)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var leaves = inputs.Select(input => input.detach().clone().requires_grad_()).ToArray();
        var outputs = Jacobian.Evaluate("gradcheck (fast mode)", function, leaves, detach: false);
        var projections = new double[outputs.Length, leaves.Length];
        for (int o = 0; o < outputs.Length; o++)
        {
            using var step = NewDisposeScope();
            var grads = VectorJacobianProduct.Of([outputs[o]], leaves, [v[o].to(outputs[o].dtype, outputs[o].device)]);
            for (int k = 0; k < leaves.Length; k++)
                projections[o, k] = grads[k].detach().to(ScalarType.Float64).mul(u[k]).sum().ToDouble();
        }
        return projections;
    }

    /// <summary>
    /// A random direction of unit length with the given shape, in float64. Its entries are non-negative, as in
    /// PyTorch, so that vᵀ A u with every |A_ij| ≤ atol is at most atol · Σu · Σv: the scaled atol of a projection.
    /// </summary>
    public static Tensor RandomUnitVector(long[] shape, Generator generator)
    {
        var vector = rand(shape, ScalarType.Float64, generator: generator);
        double norm = vector.norm().ToDouble();
        if (norm == 0)
            return vector;
        using var divisor = norm.ToScalar();
        return vector.div_(divisor);
    }
}
