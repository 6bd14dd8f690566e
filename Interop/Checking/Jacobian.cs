using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// The Jacobians of a function of several tensors, computed two ways: by central differences and through backward.
/// Both return <c>J[o, k]</c> = ∂outputs[o]/∂inputs[k] with shape outputs[o].shape ++ inputs[k].shape (the layout of
/// <c>torch.autograd.functional.jacobian</c>), so <c>J[o, k][i…, j…]</c> = ∂outputs[o][i…]/∂inputs[k][j…]; for a
/// vector output and a vector input that is the matrix with one row per output element. Meant for small inputs: the
/// numerical one evaluates the function twice per input element, the analytical one runs backward once per output
/// element. The caller's tensors are never modified and every input is differentiated.
/// </summary>
public static class Jacobian
{
    /// <summary>
    /// The Jacobians by central differences, (f(x + eps·e_j) − f(x − eps·e_j)) / (2 eps), one input element at a time,
    /// evaluated in float64 on copies of the inputs (float32 ones are upcast); the results are float64.
    /// </summary>
    /// <param name="function">Takes the inputs in order and returns one or more floating-point tensors.</param>
    /// <param name="inputs">Floating-point tensors: the point at which to differentiate.</param>
    /// <param name="eps">The step; PyTorch's gradcheck uses 1e-6.</param>
    /// <exception cref="ArgumentException">An input is not a floating-point tensor, eps is not positive, or the function returns no floating-point tensor.</exception>
    public static Tensor[,] numerical(Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> inputs, double eps = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(function);
        RequireFloatingInputs("Jacobian.numerical", inputs);
        if (!(eps > 0) || double.IsInfinity(eps))
            throw new ArgumentException($"Jacobian.numerical: 'eps' must be positive and finite; got {eps}.", nameof(eps));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var points = inputs.Select(ToFloat64Copy).ToArray();
        var outputShapes = Evaluate("Jacobian.numerical", function, points).Select(output => output.shape).ToArray();
        var jacobians = new Tensor[outputShapes.Length, points.Length];
        using var width = (2 * eps).ToScalar();
        for (int k = 0; k < points.Length; k++)
        {
            var flat = points[k].view(-1);
            var columns = new List<Tensor>[outputShapes.Length];
            for (int o = 0; o < columns.Length; o++)
                columns[o] = [];
            for (long j = 0; j < flat.shape[0]; j++)
            {
                using var step = NewDisposeScope();
                var element = flat[j];
                double value = element.ToDouble();
                using var above = (value + eps).ToScalar();
                using var below = (value - eps).ToScalar();
                using var center = value.ToScalar();
                element.fill_(above);
                var plus = Evaluate("Jacobian.numerical", function, points);
                element.fill_(below);
                var minus = Evaluate("Jacobian.numerical", function, points);
                element.fill_(center);
                for (int o = 0; o < columns.Length; o++)
                    columns[o].Add(plus[o].sub(minus[o]).div_(width).reshape(-1).MoveToOuterDisposeScope());
            }
            for (int o = 0; o < columns.Length; o++)
                jacobians[o, k] = Assemble(columns[o], dim: 1, outputShapes[o], points[k].shape, ScalarType.Float64).MoveToOuterDisposeScope();
        }
        return jacobians;
    }

    /// <summary>
    /// The Jacobians through backward: one vector-Jacobian product per output element, with that element's one-hot
    /// vector as grad_output, so a hand-written backward is exercised exactly as training calls it. Each is computed
    /// in the inputs' own dtype. An output that does not depend on an input through autograd gets zeros.
    /// </summary>
    /// <param name="function">Takes the inputs in order and returns one or more floating-point tensors.</param>
    /// <param name="inputs">Floating-point tensors: the point at which to differentiate.</param>
    /// <exception cref="ArgumentException">An input is not a floating-point tensor, or the function returns no floating-point tensor.</exception>
    /// <remarks>
    /// TorchSharp's <c>torch.autograd.functional.jacobian</c> computes the same matrix, but it calls backward on every
    /// output, so an output that does not require grad (a backward that is not differentiable, seen from a
    /// second-order check) throws there instead of giving the zero Jacobian that the comparison should then catch.
    /// </remarks>
    public static Tensor[,] analytical(Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(function);
        RequireFloatingInputs("Jacobian.analytical", inputs);

        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var leaves = inputs.Select(input => input.detach().clone().requires_grad_()).ToArray();
        var outputs = Evaluate("Jacobian.analytical", function, leaves, detach: false);
        var jacobians = new Tensor[outputs.Length, leaves.Length];
        for (int o = 0; o < outputs.Length; o++)
        {
            var rows = new List<Tensor>[leaves.Length];
            for (int k = 0; k < rows.Length; k++)
                rows[k] = [];
            for (long i = 0; i < outputs[o].numel(); i++)
            {
                using var row = NewDisposeScope();
                var oneHot = zeros(outputs[o].numel(), outputs[o].dtype, outputs[o].device);
                oneHot[i].fill_(HeldScalars.One);
                var grads = VectorJacobianProduct.Of([outputs[o]], leaves, [oneHot.view(outputs[o].shape)]);
                for (int k = 0; k < rows.Length; k++)
                    rows[k].Add(grads[k].detach().reshape(-1).MoveToOuterDisposeScope());
            }
            for (int k = 0; k < rows.Length; k++)
                jacobians[o, k] = Assemble(rows[k], dim: 0, outputs[o].shape, leaves[k].shape, leaves[k].dtype).MoveToOuterDisposeScope();
        }
        return jacobians;
    }

    /// <summary>Runs the function and checks that it returned floating-point tensors; they come back detached unless told otherwise.</summary>
    internal static Tensor[] Evaluate(string caller, Func<Tensor[], Tensor[]> function, Tensor[] inputs, bool detach = true)
    {
        var outputs = function(inputs);
        if (outputs is null || outputs.Length == 0)
            throw new ArgumentException($"{caller}: the function must return at least one tensor; got {(outputs is null ? "null" : "none")}.", "function");
        for (int o = 0; o < outputs.Length; o++)
        {
            if (outputs[o] is null || outputs[o].IsInvalid)
                throw new ArgumentException($"{caller}: the function's output {o} must be a live tensor; got {(outputs[o] is null ? "null" : "a disposed one")}.", "function");
            if (!outputs[o].is_floating_point())
                throw new ArgumentException($"{caller}: the function's output {o} must be floating-point to be differentiated; got {outputs[o].dtype}.", "function");
        }
        return detach ? outputs.Select(output => output.detach()).ToArray() : outputs;
    }

    /// <summary>Checks that every input is a live floating-point tensor.</summary>
    internal static void RequireFloatingInputs(string caller, IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
            throw new ArgumentException($"{caller}: 'inputs' must hold at least one tensor; got none.", nameof(inputs));
        for (int k = 0; k < inputs.Count; k++)
        {
            if (inputs[k] is null || inputs[k].IsInvalid)
                throw new ArgumentException($"{caller}: inputs[{k}] must be a live tensor; got {(inputs[k] is null ? "null" : "a disposed one")}.", nameof(inputs));
            if (!inputs[k].is_floating_point())
                throw new ArgumentException($"{caller}: inputs[{k}] must be floating-point to be differentiated; got {inputs[k].dtype}.", nameof(inputs));
        }
    }

    /// <summary>A float64 copy that the finite differences can write into, element by element.</summary>
    internal static Tensor ToFloat64Copy(Tensor tensor) => tensor.detach().to(ScalarType.Float64, copy: true).contiguous();

    /// <summary>Stacks per-element columns (dim 1) or rows (dim 0) into a Jacobian of shape output ++ input.</summary>
    private static Tensor Assemble(List<Tensor> parts, long dim, long[] outputShape, long[] inputShape, ScalarType dtype)
    {
        long[] shape = [.. outputShape, .. inputShape];
        return parts.Count == 0 ? zeros(shape, dtype) : stack(parts, dim).reshape(shape);
    }
}
