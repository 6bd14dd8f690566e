using Interop.Checking;
using Interop.Functions;
using Interop.Modules;
using TorchSharp;
using static TorchSharp.torch;

// Runs one misuse of the public API, named by args[0], and reports how it ended: "THREW <type>: <first line>" when
// it was refused with a managed exception, "RETURNED <what>" when it completed. Either way the process exits 0;
// an abort shows as a non-zero exit code.
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
    ["backward-twice-through-functions-only"] = () =>
    {
        var (x, beta) = Inputs();
        var y = GlobalScalingFunction.apply(x, beta).sum();
        y.backward();
        double once = beta.grad!.ToDouble();
        y.backward();
        return $"accumulated {beta.grad!.ToDouble() / once:F1}x";
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
    ["log-sum-beta-driven-to-zero"] = () =>
    {
        var module = new LogSum(beta: 0.5);
        using (no_grad())
            module.beta.zero_();
        return Show(module.call(ones(2, 3)));
    },
};

if (args.Length != 1 || !cases.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: MisuseHost <case>; cases: {string.Join(", ", cases.Keys)}");
    return 2;
}
try
{
    Console.WriteLine($"RETURNED {run()}");
}
catch (Exception e)
{
    Console.WriteLine($"THREW {e.GetType().Name}: {e.Message.Split('\n')[0]}");
}
return 0;

static (Tensor X, Tensor Beta) Inputs() => (randn(4).requires_grad_(), tensor(1.2f).requires_grad_());

static string Show(Tensor t) => string.Join(", ", t.to(ScalarType.Float64).flatten().data<double>().ToArray());
