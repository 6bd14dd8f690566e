using Interop.Autograd;
using Interop.Checking;
using Interop.Functions;
using Interop.Modules;
using TorchSharp;
using static TorchSharp.torch;

// Runs misuses of the public API, named by the arguments, and reports how each ended, one line per argument in order:
// "THREW <type>: <first line>" when it was refused with a managed exception, "RETURNED <what>" when it completed.
// Either way the process exits 0; an abort shows as a non-zero exit code, with the lines printed so far.
// A case "family:Module" runs that family of backward misuses on one of the five modules.
var cases = new Dictionary<string, Func<string>>
{
    ["grad-twice-without-retain"] = () =>
    {
        var (x, beta) = Inputs();
        var y = SoftmaxFunction.apply(x, beta).pow(2).sum();
        var first = SafeAutograd.grad([y], [x], create_graph: true, retain_graph: false)[0]!;
        SafeAutograd.grad([y], [x]);
        return $"second grad ran; first was {first.sum().ToDouble():F4}";
    },
    ["second-order-without-retain"] = () =>
    {
        var (x, beta) = Inputs();
        var y = LogSumFunction.apply(x, beta).pow(2);
        var g = SafeAutograd.grad([y], [x], create_graph: true, retain_graph: false)[0]!;
        SafeAutograd.grad([g.sum()], [x]);
        SafeAutograd.grad([y], [beta]);
        return "ran";
    },
    ["second-order-once"] = () =>
    {
        var (x, beta) = Inputs();
        var g = SafeAutograd.grad([LogSumFunction.apply(x, beta)], [x], create_graph: true)[0]!;
        return Show(SafeAutograd.grad([g.sum()], [beta])[0]!);
    },
    ["backward-twice"] = () =>
    {
        var (x, beta) = Inputs();
        var loss = nn.functional.mse_loss(ExponentialFunction.apply(x, beta), ones(4));
        loss.backward();
        loss.backward();
        return "second backward ran";
    },

    ["parameter-of-another-dtype"] = () => Show(ExponentialFunction.apply(ones(3), tensor(1.0, ScalarType.Float64))),
    ["module-on-another-dtype"] = () => Show(new Softmax(beta: 1.0, dtype: ScalarType.Float64).call(ones(2, 3))),
    ["no-grad-then-backward"] = () =>
    {
        var (x, beta) = Inputs();
        Tensor y;
        using (no_grad())
            y = SoftmaxFunction.apply(x, beta).sum();
        y.backward();
        return "backward ran";
    },
    ["no-grad-then-grad"] = () =>
    {
        var (x, beta) = Inputs();
        Tensor y;
        using (no_grad())
            y = LogSumFunction.apply(x, beta);
        return Show(SafeAutograd.grad([y], [x])[0]!);
    },
    ["grad-of-unused-input"] = () =>
    {
        var (x, beta) = Inputs();
        return Show(SafeAutograd.grad([ExponentialFunction.apply(x, beta).sum()], [x, randn(2).requires_grad_()])[1]!);
    },
    ["grad-output-of-wrong-shape"] = () =>
    {
        var (x, beta) = Inputs();
        SoftmaxFunction.apply(x, beta).backward([ones(3)]);
        return "backward ran";
    },
    ["disposed-input"] = () =>
    {
        var (x, beta) = Inputs();
        x.Dispose();
        return Show(ExponentialFunction.apply(x, beta));
    },
    // A Function whose backward throws, alone and inside a graph of Interop Functions.
    ["throwing-backward"] = () =>
    {
        var x = randn(3).requires_grad_();
        return Chain(() => ThrowingFunction.apply(x).sum().backward());
    },
    ["throwing-backward-in-a-graph"] = () =>
    {
        var (x, beta) = Inputs();
        var y = LogSumFunction.apply(ThrowingFunction.apply(ExponentialFunction.apply(x, beta)).unsqueeze(0), beta);
        string failure = Chain(() => y.backward());
        var z = LogSumFunction.apply(ExponentialFunction.apply(x, beta).unsqueeze(0), beta);
        z.backward();
        return $"{failure}; then a good backward gives finite {x.grad!.isfinite().all().ToBoolean()}";
    },
    ["throwing-backward-safe-grad"] = () =>
    {
        var x = randn(3).requires_grad_();
        return Chain(() => SafeAutograd.grad([ThrowingFunction.apply(x).sum()], [x]));
    },
    ["wrong-shape-gradient"] = () =>
    {
        var x = randn(3).requires_grad_();
        return Chain(() => WrongShapeFunction.apply(x).sum().backward());
    },
    ["disposed-gradient"] = () =>
    {
        var x = randn(3).requires_grad_();
        return Chain(() => DisposedGradientFunction.apply(x).sum().backward());
    },
    ["log-sum-beta-driven-to-zero"] = () =>
    {
        var module = new LogSum(beta: 0.5);
        using (no_grad())
            module.beta.zero_();
        return Show(module.call(ones(2, 3)));
    },
};

var families = new Dictionary<string, Func<string, string>>
{
    // Two forwards, backward of the first, an optimizer step (the parameter changes in place), backward of the second.
    ["optimizer-step-between"] = module =>
    {
        var m = Module(module);
        var optimizer = optim.SGD(m.parameters(), 0.1);
        var x = randn(4, 3);
        var first = m.call(x).sum();
        var second = m.call(x * 2).sum();
        first.backward();
        optimizer.step();
        second.backward();
        return "second backward ran";
    },
    ["optimizer-step-between-safe-grad"] = module =>
    {
        var m = Module(module);
        var optimizer = optim.SGD(m.parameters(), 0.1);
        var x = randn(4, 3);
        var first = m.call(x).sum();
        var second = m.call(x * 2).sum();
        first.backward();
        optimizer.step();
        return Show(SafeAutograd.grad([second], [m.parameters().First()])[0]!);
    },
    // x (not a leaf, so that it may be changed in place) is modified after forward.
    ["input-modified"] = module =>
    {
        var m = Module(module);
        var leaf = randn(4, 3).requires_grad_();
        var x = leaf * 1;
        var y = m.call(x).sum();
        x.add_(1);
        y.backward();
        return "backward ran";
    },
    ["output-modified"] = module =>
    {
        var m = Module(module);
        var y = m.call(randn(4, 3).requires_grad_());
        y.mul_(2);
        y.sum().backward();
        return "backward ran";
    },
    ["backward-twice"] = module =>
    {
        var m = Module(module);
        var y = m.call(randn(4, 3)).sum();
        y.backward();
        y.backward();
        return "second backward ran";
    },
    ["backward-twice-retained"] = module =>
    {
        var m = Module(module);
        var output = m.call(randn(4, 3));
        var y = (output * randn_like(output)).sum();   // Softmax's rows sum to 1, so y.sum() alone would not depend on β
        var parameter = m.parameters().First();
        y.backward(retain_graph: true);
        var once = parameter.grad!.clone();
        y.backward();
        return $"accumulated {(parameter.grad! / once).mean().ToDouble():F1}x";
    },
    ["second-order-safe-grad"] = module =>
    {
        var m = Module(module);
        var x = randn(4, 3).requires_grad_();
        var g = SafeAutograd.grad([m.call(x).pow(2).sum()], [x], create_graph: true)[0]!;
        var gg = SafeAutograd.grad([g.pow(2).sum()], [m.parameters().First()])[0]!;
        return $"finite {gg.isfinite().all().ToBoolean()}";
    },
};

var lines = new List<string>();
foreach (var name in args)
{
    Func<string>? run = cases.GetValueOrDefault(name);
    if (run is null && name.Split(':') is [var family, var module] && families.TryGetValue(family, out var familyRun))
        run = () => familyRun(module);
    if (run is null)
    {
        Console.Error.WriteLine($"usage: MisuseHost <case>...; cases: {string.Join(", ", cases.Keys)}; families (family:Module): {string.Join(", ", families.Keys)}");
        return 2;
    }
    string line;
    try
    {
        line = $"RETURNED {run()}";
    }
    catch (Exception e)
    {
        line = $"THREW {e.GetType().Name}: {e.Message.Split('\n')[0]}";
    }
    Console.WriteLine(line);
    Console.Out.Flush();
}
return args.Length == 0 ? 2 : 0;

static nn.Module<Tensor, Tensor> Module(string name) => name switch
{
    "Exponential" => new Exponential(beta: 0.7),
    "ComponentScaling" => new ComponentScaling(3, k: 1.5),
    "GlobalScaling" => new GlobalScaling(k: 1.5),
    "Softmax" => new Softmax(beta: 1.5),
    "LogSum" => new LogSum(beta: 1.5),
    _ => throw new ArgumentException($"unknown module '{name}'"),
};

static (Tensor X, Tensor Beta) Inputs() => (randn(4).requires_grad_(), tensor(1.2f).requires_grad_());

static string Show(Tensor t) => string.Join(", ", t.to(ScalarType.Float64).flatten().data<double>().ToArray());

// How an exception and its inner exceptions read: "Outer: message ← Inner: message".
static string Chain(Action action)
{
    try
    {
        action();
        return "no exception";
    }
    catch (Exception e)
    {
        var parts = new List<string>();
        for (Exception? current = e; current is not null; current = current.InnerException)
            parts.Add($"{current.GetType().Name}: {current.Message.Split('\n')[0]}");
        return string.Join(" ← ", parts);
    }
}

/// <summary>y = 2x, whose backward throws.</summary>
sealed class ThrowingFunction : Function<ThrowingFunction>
{
    private ThrowingFunction() : base("x")
    {
    }

    protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0] * 2;

    protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
        throw new InvalidOperationException("deliberately thrown in backward");
}

/// <summary>y = 2x, whose backward returns a gradient with one element too many.</summary>
sealed class WrongShapeFunction : Function<WrongShapeFunction>
{
    private WrongShapeFunction() : base("x")
    {
    }

    protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0] * 2;

    protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs) =>
        grad_inputs[0] = cat([grad_output * 2, zeros(1)]);
}

/// <summary>y = 2x, whose backward returns a tensor it has disposed.</summary>
sealed class DisposedGradientFunction : Function<DisposedGradientFunction>
{
    private DisposedGradientFunction() : base("x")
    {
    }

    protected override Tensor forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0] * 2;

    protected override void backward(FunctionContext ctx, Tensor grad_output, Span<Tensor?> grad_inputs)
    {
        var gradient = grad_output * 2;
        gradient.Dispose();
        grad_inputs[0] = gradient;
    }
}
