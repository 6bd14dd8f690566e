using Interop.Checking;
using Interop.Functions;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Checking;

/// <summary>The Jacobian-matrix API against Jacobians written out by hand.</summary>
public class JacobianTests
{
    [Fact]
    public void Both_ways_lay_out_J_as_output_shape_then_input_shape()
    {
        using var scope = NewDisposeScope();
        // f(a, b) = (a ⊙ b, Σ a²) with a, b of shape [2, 3]: ∂(a ⊙ b)[i]/∂a[j] = b[i] δ_ij, ∂Σa²/∂a = 2a, ∂Σa²/∂b = 0.
        var a = randn([2, 3], ScalarType.Float64, generator: new Generator(1));
        var b = randn([2, 3], ScalarType.Float64, generator: new Generator(2));
        Func<Tensor[], Tensor[]> f = inputs => [inputs[0] * inputs[1], inputs[0].square().sum()];
        var productByA = diag(b.reshape(-1)).reshape(2, 3, 2, 3);
        var productByB = diag(a.reshape(-1)).reshape(2, 3, 2, 3);

        foreach (var jacobians in new[] { Jacobian.numerical(f, [a, b]), Jacobian.analytical(f, [a, b]) })
        {
            Assert.Equal(2, jacobians.GetLength(0));
            Assert.Equal(2, jacobians.GetLength(1));
            TensorAssert.Close(productByA, jacobians[0, 0], 1e-8, "∂(a⊙b)/∂a");
            TensorAssert.Close(productByB, jacobians[0, 1], 1e-8, "∂(a⊙b)/∂b");
            TensorAssert.Close(a * 2, jacobians[1, 0], 1e-8, "∂Σa²/∂a");
            Assert.Equal(0.0, jacobians[1, 1].abs().max().ToDouble(), 8);
        }
    }

    [Fact]
    public void The_numerical_Jacobian_of_float32_inputs_is_taken_in_float64()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.3f, -1.2f, 2.0f });
        var jacobian = Jacobian.numerical(inputs => [inputs[0].exp()], [x])[0, 0];
        Assert.Equal(ScalarType.Float64, jacobian.dtype);
        // exp' = exp: in float32, a difference quotient with eps = 1e-6 would be off in the second digit.
        TensorAssert.Close(diag(x.to(ScalarType.Float64).exp()), jacobian, 1e-9, "∂exp(x)/∂x");
    }

    [Fact]
    public void Softmax_Jacobians_are_minus_beta_times_diag_y_minus_y_yT_and_y_times_xbar_minus_x()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.5, -1.0, 2.0, 0.1 }, ScalarType.Float64);
        var beta = tensor(1.7, ScalarType.Float64);
        var jacobian = MapJacobian.Of(SoftmaxFunction.apply, x, beta);

        var y = (-beta * x).softmax(0);
        var xBar = (y * x).sum();
        TensorAssert.Close(y, jacobian.Output, 1e-15, "y");
        TensorAssert.Close(-beta * (diag(y) - outer(y, y)), jacobian.DyDx, 1e-14, "∂y/∂x");
        TensorAssert.Close(y * (xBar - x), jacobian.DyDParameter, 1e-14, "∂y/∂β");
    }

    [Fact]
    public void Component_scaling_Jacobians_are_diag_K_and_diag_x()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.5, -1.0, 2.0 }, ScalarType.Float64);
        var k = tensor(new[] { 1.5, 0.2, -3.0 }, ScalarType.Float64);
        var jacobian = MapJacobian.Of(ComponentScalingFunction.apply, x, k);

        TensorAssert.Close(diag(k), jacobian.DyDx, 1e-15, "∂y/∂x");
        TensorAssert.Close(diag(x), jacobian.DyDParameter, 1e-15, "∂y/∂K");
    }

    [Fact]
    public void LogSum_Jacobians_are_the_softmin_weights_and_the_entropy_over_beta_squared()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.5, -1.0, 2.0, 0.1 }, ScalarType.Float64);
        var beta = tensor(0.8, ScalarType.Float64);
        var jacobian = MapJacobian.Of(LogSumFunction.apply, x, beta);
        var numerical = MapJacobian.Numerical(LogSumFunction.apply, x, beta);

        var p = (-beta * x).softmax(0);
        var entropy = -(p * p.log()).sum();
        TensorAssert.Close(p, jacobian.DyDx, 1e-14, "∂y/∂x");
        TensorAssert.Close(entropy / beta.square(), jacobian.DyDParameter, 1e-14, "∂y/∂β");
        TensorAssert.Close(jacobian.DyDx, numerical.DyDx, 1e-8, "∂y/∂x by central differences");
        TensorAssert.Close(jacobian.DyDParameter, numerical.DyDParameter, 1e-8, "∂y/∂β by central differences");
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        using var scope = NewDisposeScope();
        Func<Tensor[], Tensor[]> identity = inputs => [inputs[0]];
        var integers = Assert.Throws<ArgumentException>(() => Jacobian.analytical(identity, [tensor(new long[] { 1, 2 })]));
        Assert.Equal("inputs", integers.ParamName);
        Assert.Contains("inputs[0] must be floating-point", integers.Message);
        var eps = Assert.Throws<ArgumentException>(() => Jacobian.numerical(identity, [ones(2)], eps: 0));
        Assert.Equal("eps", eps.ParamName);
        var none = Assert.Throws<ArgumentException>(() => Jacobian.numerical(_ => [], [ones(2)]));
        Assert.Contains("at least one tensor", none.Message);
    }
}
