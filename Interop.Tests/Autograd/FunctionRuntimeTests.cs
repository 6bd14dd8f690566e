using System.Runtime.InteropServices;
using Interop.Autograd;
using Interop.Checking;
using Interop.Tests.Support;
using TorchSharp;
using static Interop.Checking.GradientCheck;
using static TorchSharp.torch;

namespace Interop.Tests.Autograd;

/// <summary>
/// The runtime's behaviour as a Function author and a caller meet it: Functions of one, two and three inputs, what
/// forward and backward are told, when a node is recorded, how saved tensors, dispose scopes and failures behave.
/// Failures that could end the process if the runtime were wrong also run in a child process (Reliability/MisuseTests).
/// </summary>
[Collection(nameof(FunctionRuntimeTests))]
public class FunctionRuntimeTests
{
    [Fact]
    public void A_unary_Function_passes_gradcheck_at_first_and_second_order()
    {
        using var scope = NewDisposeScope();
        var x = randn([3, 4], ScalarType.Float64, generator: new Generator(1)).requires_grad_();
        gradcheck(inputs => [Square.apply(inputs[0])], [x]).ThrowIfFailed();
    }

    [Fact]
    public void A_ternary_Function_gives_autograds_gradients()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(2);
        var x = randn([5], ScalarType.Float64, generator: generator).requires_grad_();
        var a = tensor(0.7, ScalarType.Float64).requires_grad_();
        var b = randn([5], ScalarType.Float64, generator: generator).requires_grad_();
        var g = randn([5], ScalarType.Float64, generator: generator);

        var handWritten = SafeAutograd.grad([AffineFunction.apply(x, a, b)], [x, a, b], [g]);
        var builtIn = SafeAutograd.grad([x * a + b], [x, a, b], [g]);

        for (int i = 0; i < 3; i++)
            TensorAssert.Close(builtIn[i]!, handWritten[i]!, 1e-15, $"gradient {i}");
        gradcheck(inputs => [AffineFunction.apply(inputs[0], inputs[1], inputs[2])], [x, a, b]).ThrowIfFailed();
    }

    [Fact]
    public void No_node_is_recorded_when_nothing_requires_grad_or_grad_mode_is_off()
    {
        using var scope = NewDisposeScope();
        int before = GraphNode.Created;
        var plain = Square.apply(randn(3));
        Tensor underNoGrad;
        using (no_grad())
            underNoGrad = Square.apply(randn(3).requires_grad_());
        Assert.False(plain.requires_grad);
        Assert.False(underNoGrad.requires_grad);
        Assert.Equal(before, GraphNode.Created);
    }

    [Fact]
    public void Forward_runs_with_grad_mode_off_and_the_callers_mode_is_restored()
    {
        using var scope = NewDisposeScope();
        var probe = Probe.Run(randn(3).requires_grad_(), tensor(2.0f), create_graph: false);
        Assert.False(probe.GradModeInForward);
        Assert.True(is_grad_enabled());
    }

    [Fact]
    public void Backward_is_told_which_inputs_need_gradients_and_others_get_none()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();
        var frozen = tensor(2.0f);
        var probe = Probe.Run(x, frozen, create_graph: false);
        Assert.Equal([true, false], probe.NeedsInputGrad);
        Assert.NotNull(x.grad);
        Assert.Null(frozen.grad);
    }

    [Fact]
    public void Backward_is_told_whether_it_is_recorded_for_create_graph()
    {
        using var scope = NewDisposeScope();
        Assert.False(Probe.Run(randn(3).requires_grad_(), tensor(2.0f), create_graph: false).CreateGraph);
        Assert.True(Probe.Run(randn(3).requires_grad_(), tensor(2.0f), create_graph: true).CreateGraph);
    }

    [Fact]
    public void A_second_backward_raises_unless_the_first_retained_the_graph()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();
        var retained = Square.apply(x).sum();
        retained.backward(retain_graph: true);
        retained.backward();
        TensorAssert.Close(4 * x, x.grad!, 1e-6, "two backward passes accumulate");

        var freed = Square.apply(x).sum();
        freed.backward();
        var error = Assert.Throws<ExternalException>(() => freed.backward());
        Assert.StartsWith("Square: backward ran through this graph a second time", error.Message);
        Assert.Contains("retain_graph: true", error.Message);
        Assert.Equal("Square", Assert.IsType<FunctionBackwardException>(error.InnerException).FunctionName);
    }

    [Fact]
    public void A_throwing_backward_surfaces_as_a_catchable_exception_carrying_the_original()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();

        var fromBackward = Assert.Throws<ExternalException>(() => Throwing.apply(x).sum().backward());
        Assert.Equal("Throwing.backward threw ArithmeticException: from backward", fromBackward.Message);
        var carried = Assert.IsType<FunctionBackwardException>(fromBackward.InnerException);
        Assert.IsType<ArithmeticException>(carried.InnerException);

        var fromSafeGrad = Assert.Throws<FunctionBackwardException>(() => SafeAutograd.grad([Throwing.apply(x).sum()], [x]));
        Assert.Equal("from backward", Assert.IsType<ArithmeticException>(fromSafeGrad.InnerException).Message);

        var afterwards = SafeAutograd.grad([Square.apply(x).sum()], [x])[0]!;
        TensorAssert.Close(2 * x, afterwards, 1e-6, "a good backward after failed ones");
    }

    [Fact]
    public void A_forward_that_fails_leaves_no_node_behind()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();
        Square.apply(x).sum().backward();
        int before = GraphNode.Created;
        for (int i = 0; i < 50; i++)
            Assert.Throws<InvalidOperationException>(() => SavesTwice.apply(x));
        Square.apply(x).sum().backward();
        Assert.Equal(before, GraphNode.Created);
    }

    [Fact]
    public void The_context_refuses_use_outside_its_phase()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();
        Assert.Contains("save_for_backward was already called in this forward",
            Assert.Throws<InvalidOperationException>(() => SavesTwice.apply(x)).Message);
        Assert.Contains("saved_tensors belongs in backward",
            Assert.Throws<InvalidOperationException>(() => ReadsSavedInForward.apply(x)).Message);
        Assert.Contains("ReturnsNull: forward returned null",
            Assert.Throws<InvalidOperationException>(() => ReturnsNull.apply(x)).Message);
    }

    [Fact]
    public void Nodes_are_pooled_and_backward_disposes_what_it_made()
    {
        using var scope = NewDisposeScope();
        var x = randn(8).requires_grad_();
        var k = tensor(1.5f).requires_grad_();
        void Step()
        {
            using var step = NewDisposeScope();
            SafeAutograd.grad([AffineFunction.apply(Square.apply(x), k, x).sum()], [x, k]);
        }
        Step();
        // Tensor.TotalCount also falls when the finalizer frees a wrapper that an earlier test left to the GC, and
        // CI once saw it fall by 2 during the loop. Finalize all such garbage first, so that only this loop moves it.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int nodes = GraphNode.Created;
        long tensors = Tensor.TotalCount;
        for (int i = 0; i < 200; i++)
            Step();
        Assert.Equal(nodes, GraphNode.Created);
        Assert.Equal(tensors, Tensor.TotalCount);
    }

    [Fact]
    public void The_output_belongs_to_the_callers_dispose_scope_and_saved_tensors_do_not()
    {
        var x = randn(3).requires_grad_();
        Tensor y, loss;
        using (var scope = NewDisposeScope())
        {
            var input = x * 1;
            y = Square.apply(input);
            loss = y.sum().MoveToOuterDisposeScope();
        }
        Assert.True(y.IsInvalid);
        loss.backward();
        TensorAssert.Close(2 * x, x.grad!, 1e-6, "backward after the scope that held x·1 and y ended");
    }

    [Fact]
    public void Backward_leaves_the_callers_dispose_scope_current()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();
        Square.apply(x).sum().backward();
        var madeAfterwards = x * 2;
        Assert.True(scope.Contains(madeAfterwards), "a tensor made after backward belongs to the caller's scope");
    }

    [Fact]
    public void A_backward_may_run_a_backward_of_its_own()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, ScalarType.Float64).requires_grad_();
        var gradient = SafeAutograd.grad([Reentrant.apply(x).sum()], [x])[0]!;
        TensorAssert.Close(2 * x.detach() * 3, gradient, 1e-15, "∂(3·x²)/∂x through a backward that differentiates x² itself");
        TensorAssert.Close(2 * x.detach(), SafeAutograd.grad([Square.apply(x).sum()], [x])[0]!, 1e-15, "a plain backward afterwards");
    }

    [Fact]
    public void A_Function_may_return_an_input_unchanged()
    {
        using var scope = NewDisposeScope();
        var x = randn(3).requires_grad_();
        var y = Identity.apply(x);
        (y * 3).sum().backward();
        Assert.False(x.IsInvalid);
        TensorAssert.Close(full(3, 3.0f), x.grad!, 0, "∂(3y)/∂x through the identity");
    }

    [Fact]
    public void The_runtime_finds_TorchSharp_0_107_0s_entry_points_and_can_rewrite_messages()
    {
        Assert.Null(NativeAutograd.UnavailableReason);
        Assert.Equal(NativeAutograd.SupportedTorchSharp, typeof(torch).Assembly.GetName().Version);
        Assert.True(BackwardFailures.CanRewriteMessages, "System.Exception no longer has the private fields _message and _innerException");
    }

    /// <summary>y = x², ∂E/∂x = 2 x g.</summary>
    private sealed class Square : Function<Square>
    {
        private Square() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.save_for_backward(inputs[0]);
            return inputs[0].square();
        }

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
            grad_inputs[0] = 2 * ctx.saved_tensors[0] * grad_output;
    }

    /// <summary>y = a x + b: ∂E/∂x = a g, ∂E/∂a = Σ g x, ∂E/∂b = g.</summary>
    private sealed class AffineFunction : Function<AffineFunction>
    {
        private AffineFunction() : base("x", "a", "b")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.save_for_backward(inputs[0], inputs[1]);
            return inputs[0] * inputs[1] + inputs[2];
        }

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs)
        {
            var (x, a) = ctx.saved_tensors;
            grad_inputs[0] = grad_output * a;
            grad_inputs[1] = (grad_output * x).sum();
            grad_inputs[2] = grad_output;
        }
    }

    /// <summary>y = k x, recording what forward and backward were told.</summary>
    private sealed class Probe : BinaryFunction<Probe>
    {
        [ThreadStatic] private static Probe.Seen? t_seen;

        private Probe() : base("x", "k")
        {
        }

        public sealed record Seen(bool GradModeInForward, bool[] NeedsInputGrad, bool CreateGraph);

        public static Seen Run(Tensor x, Tensor k, bool create_graph)
        {
            var y = apply(x, k).sum();
            if (create_graph)
                SafeAutograd.grad([y], [x], create_graph: true);
            else
                y.backward();
            return t_seen!;
        }

        protected override Tensor forward(FunctionContext ctx, Tensor x, Tensor k)
        {
            t_seen = new Seen(is_grad_enabled(), [], false);
            ctx.save_for_backward(k);
            return x * k;
        }

        protected override (Tensor? x, Tensor? parameter) backward(FunctionContext ctx, Tensor grad_output)
        {
            t_seen = t_seen! with { NeedsInputGrad = [ctx.needs_input_grad(0), ctx.needs_input_grad(1)], CreateGraph = ctx.create_graph };
            return (grad_output * ctx.saved_tensors[0], grad_output.sum());
        }
    }

    /// <summary>y = 3 x², whose backward finds ∂(x²)/∂x by running autograd through <see cref="Square"/> itself.</summary>
    private sealed class Reentrant : Function<Reentrant>
    {
        private Reentrant() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.save_for_backward(inputs[0]);
            return 3 * inputs[0].square();
        }

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs)
        {
            using var enabled = enable_grad();
            var leaf = ctx.saved_tensors[0].detach().requires_grad_();
            var inner = SafeAutograd.grad([Square.apply(leaf).sum()], [leaf])[0]!;
            grad_inputs[0] = 3 * inner * grad_output;
        }
    }

    private sealed class Throwing : Function<Throwing>
    {
        private Throwing() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0] * 2;

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
            throw new ArithmeticException("from backward");
    }

    private sealed class SavesTwice : Function<SavesTwice>
    {
        private SavesTwice() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.save_for_backward(inputs[0]);
            ctx.save_for_backward(inputs[0]);
            return inputs[0] * 2;
        }

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) => grad_inputs[0] = grad_output * 2;
    }

    private sealed class ReadsSavedInForward : Function<ReadsSavedInForward>
    {
        private ReadsSavedInForward() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => ctx.saved_tensors[0];

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) => grad_inputs[0] = grad_output;
    }

    private sealed class ReturnsNull : Function<ReturnsNull>
    {
        private ReturnsNull() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => null!;

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) => grad_inputs[0] = grad_output;
    }

    private sealed class Identity : Function<Identity>
    {
        private Identity() : base("x")
        {
        }

        protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0];

        protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) => grad_inputs[0] = grad_output;
    }
}

/// <summary>
/// The runtime's tests count nodes and live tensors, which are process-wide: they run alone, not beside other test
/// classes that make tensors.
/// </summary>
[CollectionDefinition(nameof(FunctionRuntimeTests), DisableParallelization = true)]
public sealed class FunctionRuntimeTestsCollection;
