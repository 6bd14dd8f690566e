using Interop.Checking;
using Interop.Functions;
using Interop.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Checking;

public class SafeAutogradTests
{
    [Fact]
    public void First_order_gradients_equal_TorchSharps_and_leave_dot_grad_as_it_was()
    {
        var x = randn([3, 4], ScalarType.Float64, generator: new Generator(41)).requires_grad_();
        var beta = tensor(0.7, ScalarType.Float64).requires_grad_();
        var earlier = full([3, 4], 5.0, ScalarType.Float64);
        x.grad = earlier;
        var upstream = randn([3, 4], ScalarType.Float64, generator: new Generator(42));

        var safe = SafeAutograd.grad([SoftmaxFunction.apply(x, beta)], [x, beta], [upstream]);
        var engine = autograd.grad([SoftmaxFunction.apply(x, beta)], [x, beta], [upstream]);

        TensorAssert.Close(engine[0], safe[0]!, 0, "∂/∂x");
        TensorAssert.Close(engine[1], safe[1]!, 0, "∂/∂β");
        Assert.True(x.grad!.equal(earlier).all().ToBoolean(), "x.grad was changed");
        Assert.Null(beta.grad);
    }

    [Fact]
    public void Second_order_through_create_graph_retains_the_graph_by_default()
    {
        var x = tensor(new[] { 0.5, -1.0, 2.0 }).requires_grad_();
        var beta = tensor(1.5).requires_grad_();
        var y = LogSumFunction.apply(x, beta);
        var first = SafeAutograd.grad([y], [x], create_graph: true)[0]!;
        Assert.True(first.requires_grad);
        // y is reused after create_graph: PyTorch retains the graph then, and so does SafeAutograd.
        var again = SafeAutograd.grad([y], [beta])[0]!;
        var hessianRow = SafeAutograd.grad([first[0]], [x])[0]!;

        // ∂²y/∂x_0∂x_j = −β p_0 (δ_0j − p_j), p = softmax(−β x).
        var p = softmax(x.detach() * -1.5, 0);
        var expected = -1.5 * p[0] * (tensor(new[] { 1.0, 0, 0 }) - p);
        TensorAssert.Close(expected, hessianRow, 1e-12, "∂²y/∂x_0∂x");
        TensorAssert.AllFinite(again, "∂y/∂β");
    }

    [Fact]
    public void Non_leaf_inputs_are_supported()
    {
        var leaf = randn(4, ScalarType.Float64, generator: new Generator(43)).requires_grad_();
        var middle = leaf * 2;
        var grad = SafeAutograd.grad([(middle * middle).sum()], [middle])[0]!;
        TensorAssert.Close(middle.detach() * 2, grad, 0, "∂(m·m)/∂m");
    }

    [Fact]
    public void Unused_inputs_are_null_when_allowed()
    {
        var x = randn(3).requires_grad_();
        var unused = randn(2).requires_grad_();
        var grads = SafeAutograd.grad([ExponentialFunction.apply(x, tensor(1f)).sum()], [x, unused], allow_unused: true);
        Assert.NotNull(grads[0]);
        Assert.Null(grads[1]);
    }

    [Fact]
    public void Misuse_is_refused_with_the_argument_named()
    {
        var x = randn(3).requires_grad_();
        var y = GlobalScalingFunction.apply(x, tensor(2f));
        Assert.Contains("'grad_outputs' is needed for outputs[0] of shape [3]",
            Assert.Throws<ArgumentException>(() => SafeAutograd.grad([y], [x])).Message);
        Assert.Contains("grad_outputs[0] must have shape [3]",
            Assert.Throws<ArgumentException>(() => SafeAutograd.grad([y], [x], [ones(2)])).Message);
        Assert.Contains("inputs[0] must require grad",
            Assert.Throws<ArgumentException>(() => SafeAutograd.grad([y.sum()], [randn(3)])).Message);
    }
}
