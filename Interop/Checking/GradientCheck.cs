using Interop.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// Gradient checks for TorchSharp in the manner of PyTorch's <c>torch.autograd.gradcheck</c>: <see cref="gradcheck(Func{Tensor[], Tensor[]}, IReadOnlyList{Tensor}, GradientCheckOptions?)"/>
/// compares a backward with finite differences, <see cref="gradgradcheck(Func{Tensor[], Tensor[]}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor}?, GradientCheckOptions?)"/>
/// does the same for the backward's own derivatives, and <see cref="compare(Func{Tensor[], Tensor[]}, Func{Tensor[], Tensor[]}, IReadOnlyList{Tensor}, GradientCheckOptions?)"/>
/// compares two implementations (a hand-written Function and its built-in-autograd twin). Each returns a
/// <see cref="GradientCheckReport"/> that says, for every Jacobian, by how much and where the two sides differ;
/// call <see cref="GradientCheckReport.ThrowIfFailed"/> to turn a failure into an exception carrying that table.
/// </summary>
/// <remarks>
/// As in PyTorch, the inputs that require grad are the ones checked; the others are held fixed. Nothing is printed
/// and the caller's tensors are not modified. Inputs narrower than float64 are handled as
/// <see cref="GradientCheckOptions.float32"/> says, and the report warns about them. The Jacobians are built
/// element by element, so these checks are for small inputs (tens of elements), which is all a check needs.
/// </remarks>
public static class GradientCheck
{
    /// <summary>
    /// Checks the backward of <paramref name="func"/> against central differences, for every (output, input) pair:
    /// all elements, or one random projection per pair in fast mode. With <see cref="GradientCheckOptions.second_order"/>
    /// (the default) it also runs <c>gradgradcheck</c>, so a backward that is right only to first order fails too.
    /// It also checks that backward is reentrant, that a zero grad_output gives zero gradients, and that each
    /// gradient has its input's shape and dtype.
    /// </summary>
    /// <param name="func">Takes the inputs in order and returns one or more floating-point tensors.</param>
    /// <param name="inputs">The point to check at; those that require grad are checked.</param>
    /// <param name="options">Tolerances and modes; <see cref="GradientCheckOptions.Default"/> if null.</param>
    /// <exception cref="ArgumentException">No input requires grad, an option is out of range, or the function returns no floating-point tensor.</exception>
    public static GradientCheckReport gradcheck(Func<Tensor[], Tensor[]> func, IReadOnlyList<Tensor> inputs, GradientCheckOptions? options = null)
    {
        var o = Validated(options, GradientCheckOptions.Default);
        using var scope = NewDisposeScope();
        var function = CheckedFunction.Of(nameof(gradcheck), "a function", func, inputs, InputNames(inputs), OutputName, InFloat64(o));
        return AgainstFiniteDifferences(nameof(gradcheck), function, o, firstOrder: true, secondOrder: o.second_order, gradOutputs: null);
    }

    /// <summary>
    /// <c>gradcheck</c> of one of the five maps' hand-written Functions, <c>map.Function(x, parameter)</c>, with the
    /// report naming x, β, K or k and y. Use <c>map with { Function = … }</c> to check another Function of the same map.
    /// </summary>
    /// <param name="map">The map, e.g. <see cref="ModuleMap.Softmax"/>.</param>
    /// <param name="x">The input; checked if it requires grad.</param>
    /// <param name="parameter">β, K or k; checked if it requires grad.</param>
    /// <param name="options">Tolerances and modes; <see cref="GradientCheckOptions.Default"/> if null.</param>
    public static GradientCheckReport gradcheck(ModuleMap map, Tensor x, Tensor parameter, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        var o = Validated(options, GradientCheckOptions.Default);
        using var scope = NewDisposeScope();
        var function = Bind(nameof(gradcheck), map, map.Function, x, parameter, o);
        return AgainstFiniteDifferences(nameof(gradcheck), function, o, firstOrder: true, secondOrder: o.second_order, gradOutputs: null);
    }

    /// <summary>
    /// The second-order check alone: the backward of <paramref name="func"/>, as a function of the inputs and of the
    /// grad_outputs, is checked against central differences of itself, its own backward (the double backward)
    /// coming from <c>create_graph</c>. Catches a backward that uses a saved tensor in a way autograd cannot see
    /// (detached, or computed outside the graph), which a first-order check passes.
    /// </summary>
    /// <param name="func">Takes the inputs in order and returns one or more floating-point tensors.</param>
    /// <param name="inputs">The point to check at; those that require grad are checked.</param>
    /// <param name="grad_outputs">One per output, shaped like it; random standard normal (from the options' seed) if null.</param>
    /// <param name="options">Tolerances and modes; <see cref="GradientCheckOptions.Default"/> if null.</param>
    public static GradientCheckReport gradgradcheck(
        Func<Tensor[], Tensor[]> func, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor>? grad_outputs = null, GradientCheckOptions? options = null)
    {
        var o = Validated(options, GradientCheckOptions.Default);
        using var scope = NewDisposeScope();
        var function = CheckedFunction.Of(nameof(gradgradcheck), "a function", func, inputs, InputNames(inputs), OutputName, InFloat64(o));
        return AgainstFiniteDifferences(nameof(gradgradcheck), function, o, firstOrder: false, secondOrder: true, GradOutputs(function, grad_outputs));
    }

    /// <summary><c>gradgradcheck</c> of one of the five maps' hand-written Functions, with grad_output ∂E/∂y random if null.</summary>
    /// <param name="map">The map, e.g. <see cref="ModuleMap.Softmax"/>.</param>
    /// <param name="x">The input; checked if it requires grad.</param>
    /// <param name="parameter">β, K or k; checked if it requires grad.</param>
    /// <param name="grad_output">∂E/∂y, shaped like y; random standard normal (from the options' seed) if null.</param>
    /// <param name="options">Tolerances and modes; <see cref="GradientCheckOptions.Default"/> if null.</param>
    public static GradientCheckReport gradgradcheck(ModuleMap map, Tensor x, Tensor parameter, Tensor? grad_output = null, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        var o = Validated(options, GradientCheckOptions.Default);
        using var scope = NewDisposeScope();
        var function = Bind(nameof(gradgradcheck), map, map.Function, x, parameter, o);
        return AgainstFiniteDifferences(nameof(gradgradcheck), function, o, firstOrder: false, secondOrder: true,
            GradOutputs(function, grad_output is null ? null : [grad_output]));
    }

    /// <summary>
    /// Compares the Jacobians of <paramref name="func"/> (through its backward) with those of
    /// <paramref name="reference"/> (through its own, typically built-in autograd), element by element, and their
    /// outputs; with <see cref="GradientCheckOptions.second_order"/> also the Jacobians of the two backward passes,
    /// at the same random grad_outputs. Fast mode does not apply: both sides are exact, so every element is compared.
    /// </summary>
    /// <param name="func">The implementation under test.</param>
    /// <param name="reference">The implementation to trust; it must return as many outputs, shaped alike.</param>
    /// <param name="inputs">The point to compare at; those that require grad are differentiated.</param>
    /// <param name="options">Tolerances; <see cref="GradientCheckOptions.Comparison"/> (atol 1e-12, rtol 1e-10) if null.</param>
    public static GradientCheckReport compare(
        Func<Tensor[], Tensor[]> func, Func<Tensor[], Tensor[]> reference, IReadOnlyList<Tensor> inputs, GradientCheckOptions? options = null)
    {
        var o = Validated(options, GradientCheckOptions.Comparison);
        using var scope = NewDisposeScope();
        var names = InputNames(inputs);
        var function = CheckedFunction.Of(nameof(compare), "a function", func, inputs, names, OutputName, InFloat64(o));
        var trusted = CheckedFunction.Of(nameof(compare), "the reference", reference, inputs, names, OutputName, InFloat64(o));
        return Compare(function, trusted, "reference", "function", o);
    }

    /// <summary>
    /// Compares one of the five maps' hand-written Functions with its built-in-autograd twin (for LogSum, the twin
    /// on centred input; see <see cref="ReferenceTwin"/>): first and second order, and the forward values.
    /// </summary>
    /// <param name="map">The map, e.g. <see cref="ModuleMap.Softmax"/>.</param>
    /// <param name="x">The input; differentiated if it requires grad.</param>
    /// <param name="parameter">β, K or k; differentiated if it requires grad.</param>
    /// <param name="options">Tolerances; <see cref="GradientCheckOptions.Comparison"/> (atol 1e-12, rtol 1e-10) if null.</param>
    public static GradientCheckReport compare(ModuleMap map, Tensor x, Tensor parameter, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        var o = Validated(options, GradientCheckOptions.Comparison);
        using var scope = NewDisposeScope();
        var function = Bind(nameof(compare), map, map.Function, x, parameter, o);
        var twin = Bind(nameof(compare), map, ReferenceTwin.For(map), x, parameter, o);
        return Compare(function, twin, "autograd", "hand-written", o);
    }

    private static GradientCheckReport AgainstFiniteDifferences(
        string check, CheckedFunction function, GradientCheckOptions options, bool firstOrder, bool secondOrder, Tensor[]? gradOutputs)
    {
        var generator = new Generator(options.seed);
        var pairs = new List<JacobianPairResult>();
        var checks = new List<CheckResult>();
        if (firstOrder)
        {
            pairs.AddRange(FiniteDifferencePairs(function, 1, options, generator));
            checks.AddRange(BackwardChecks.Run(function, 1, options, generator));
        }
        if (secondOrder)
        {
            var backward = function.Backward(gradOutputs ?? function.RandomGradOutputs(generator, InFloat64(options)));
            pairs.AddRange(FiniteDifferencePairs(backward, 2, options, generator));
            checks.AddRange(BackwardChecks.Run(backward, 2, options, generator));
        }
        string[] warnings = function.NarrowInputs.Length == 0 ? [] :
        [
            InFloat64(options)
                ? $"{string.Join(", ", function.NarrowInputs)}: checked on float64 copies (Float32Policy.Upcast), so the derivation is verified but float32 rounding in the backward is not."
                : $"{string.Join(", ", function.NarrowInputs)}: the function and its backward ran in their own dtype (Float32Policy.AsGiven), against finite differences taken in float64.",
        ];
        return new GradientCheckReport(check, function.Subject, "numerical", "analytical", options, pairs, checks, warnings);
    }

    /// <summary>Every (output, input) pair against finite differences: element by element, or in fast mode by projection first.</summary>
    private static JacobianPairResult[] FiniteDifferencePairs(CheckedFunction function, int order, GradientCheckOptions options, Generator generator)
    {
        bool inFloat64 = InFloat64(options);
        if (!options.fast_mode)
            return ElementwisePairs(function, order, options);

        using var scope = NewDisposeScope();
        var u = function.Inputs.Select(input => JacobianProjection.RandomUnitVector(input.shape, generator)).ToArray();
        var v = function.OutputShapes.Select(shape => JacobianProjection.RandomUnitVector(shape, generator)).ToArray();
        var numerical = JacobianProjection.Numerical(function.Function(inFloat64: true), function.Inputs, u, v, options.eps);
        var analytical = JacobianProjection.Analytical(function.Function(inFloat64), function.InputsAt(inFloat64), u, v);
        var pairs = PairsOf(function, order, pair => JacobianComparison.Projection(
            pair, numerical[pair.OutputIndex, pair.InputIndex], analytical[pair.OutputIndex, pair.InputIndex],
            u[pair.InputIndex].sum().ToDouble() * v[pair.OutputIndex].sum().ToDouble(), options.atol, options.rtol));
        if (pairs.All(pair => pair.Passed))
            return pairs;
        // A projection says that something is wrong, not where: re-check element by element, and let that verdict stand.
        var elementwise = ElementwisePairs(function, order, options);
        return pairs.Select((pair, i) => pair.Passed ? pair : elementwise[i]).ToArray();
    }

    private static JacobianPairResult[] ElementwisePairs(CheckedFunction function, int order, GradientCheckOptions options)
    {
        bool inFloat64 = InFloat64(options);
        using var scope = NewDisposeScope();
        var numerical = Jacobian.numerical(function.Function(inFloat64: true), function.Inputs, options.eps);
        var analytical = Jacobian.analytical(function.Function(inFloat64), function.InputsAt(inFloat64));
        return PairsOf(function, order, pair => JacobianComparison.Elementwise(
            pair, numerical[pair.OutputIndex, pair.InputIndex], analytical[pair.OutputIndex, pair.InputIndex], options.atol, options.rtol));
    }

    private static GradientCheckReport Compare(CheckedFunction function, CheckedFunction reference, string expectedLabel, string actualLabel, GradientCheckOptions options)
    {
        bool inFloat64 = InFloat64(options);
        if (reference.OutputShapes.Length != function.OutputShapes.Length || reference.OutputShapes.Zip(function.OutputShapes).Any(pair => !pair.First.SequenceEqual(pair.Second)))
            throw new ArgumentException(
                $"compare: the reference must return outputs shaped like the function's, {Shapes(function.OutputShapes)}; got {Shapes(reference.OutputShapes)}.", "reference");

        var checks = new List<CheckResult> { ForwardAgreement(function, reference, options) };
        var pairs = new List<JacobianPairResult>(JacobianPairs(function, reference, 1, options));
        if (options.second_order)
        {
            var gradOutputs = function.RandomGradOutputs(new Generator(options.seed), inFloat64);
            pairs.AddRange(JacobianPairs(function.Backward(gradOutputs), reference.Backward(gradOutputs), 2, options));
        }
        string[] warnings = function.NarrowInputs.Length == 0 ? [] :
        [
            inFloat64
                ? $"{string.Join(", ", function.NarrowInputs)}: both sides ran on float64 copies (Float32Policy.Upcast)."
                : $"{string.Join(", ", function.NarrowInputs)}: both sides ran in their own dtype (Float32Policy.AsGiven); expect differences of float32 rounding.",
        ];
        return new GradientCheckReport(nameof(compare), function.Subject, expectedLabel, actualLabel, options, pairs, checks, warnings);
    }

    private static JacobianPairResult[] JacobianPairs(CheckedFunction function, CheckedFunction reference, int order, GradientCheckOptions options)
    {
        bool inFloat64 = InFloat64(options);
        using var scope = NewDisposeScope();
        var actual = Jacobian.analytical(function.Function(inFloat64), function.InputsAt(inFloat64));
        var expected = Jacobian.analytical(reference.Function(inFloat64), reference.InputsAt(inFloat64));
        return PairsOf(function, order, pair => JacobianComparison.Elementwise(
            pair, expected[pair.OutputIndex, pair.InputIndex], actual[pair.OutputIndex, pair.InputIndex], options.atol, options.rtol));
    }

    /// <summary>The outputs themselves, compared with the same element-wise test as the Jacobians.</summary>
    private static CheckResult ForwardAgreement(CheckedFunction function, CheckedFunction reference, GradientCheckOptions options)
    {
        bool inFloat64 = InFloat64(options);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var actual = Jacobian.Evaluate(nameof(compare), function.Function(inFloat64), function.InputsAt(inFloat64));
        var expected = Jacobian.Evaluate(nameof(compare), reference.Function(inFloat64), reference.InputsAt(inFloat64));
        var results = Enumerable.Range(0, actual.Length).Select(o => JacobianComparison.Elementwise(
            new JacobianComparison.Pair(0, o, function.OutputNames[o], 0, "", (int)actual[o].dim()), expected[o], actual[o], options.atol, options.rtol)).ToArray();
        var worst = results.MaxBy(result => result.MaxAbsError)!;
        return new CheckResult("outputs agree", results.All(result => result.Passed),
            $"max |Δ{worst.Output}| {ReportTable.Short(worst.MaxAbsError)}, at {worst.Output}" +
            (worst.WorstOutputIndex is { Length: > 0 } index ? $"[{string.Join(", ", index)}]" : ""));
    }

    private static JacobianPairResult[] PairsOf(CheckedFunction function, int order, Func<JacobianComparison.Pair, JacobianPairResult> compare) =>
        (from o in Enumerable.Range(0, function.OutputNames.Length)
         from k in Enumerable.Range(0, function.InputNames.Length)
         select compare(new JacobianComparison.Pair(order, o, function.OutputNames[o], k, function.InputNames[k], function.OutputShapes[o].Length))).ToArray();

    private static CheckedFunction Bind(string check, ModuleMap map, Func<Tensor, Tensor, Tensor> apply, Tensor x, Tensor parameter, GradientCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameter);
        return CheckedFunction.Of(check, $"{map.Name} ({map.Formula})", arguments => [apply(arguments[0], arguments[1])], [x, parameter],
            ["x", ParameterSymbol(map)], _ => "y", InFloat64(options));
    }

    private static Tensor[]? GradOutputs(CheckedFunction function, IReadOnlyList<Tensor>? gradOutputs)
    {
        if (gradOutputs is null)
            return null;
        if (gradOutputs.Count != function.OutputShapes.Length)
            throw new ArgumentException($"gradgradcheck: 'grad_outputs' must hold one tensor per output ({function.OutputShapes.Length}); got {gradOutputs.Count}.", "grad_outputs");
        for (int o = 0; o < gradOutputs.Count; o++)
        {
            if (gradOutputs[o] is null || gradOutputs[o].IsInvalid || !gradOutputs[o].is_floating_point() || !gradOutputs[o].shape.SequenceEqual(function.OutputShapes[o]))
                throw new ArgumentException(
                    $"gradgradcheck: grad_outputs[{o}] must be a floating-point tensor shaped like {function.OutputNames[o]}, [{string.Join(", ", function.OutputShapes[o])}]; " +
                    $"got {(gradOutputs[o] is null || gradOutputs[o].IsInvalid ? "no tensor" : $"{gradOutputs[o].dtype} [{string.Join(", ", gradOutputs[o].shape)}]")}.",
                    "grad_outputs");
        }
        return gradOutputs.Select(gradOutput => gradOutput.detach()).ToArray();
    }

    private static GradientCheckOptions Validated(GradientCheckOptions? options, GradientCheckOptions fallback)
    {
        var o = options ?? fallback;
        o.Validate();
        return o;
    }

    private static bool InFloat64(GradientCheckOptions options) => options.float32 == Float32Policy.Upcast;

    private static string[] InputNames(IReadOnlyList<Tensor> inputs) =>
        Enumerable.Range(0, inputs?.Count ?? 0).Select(k => $"inputs[{k}]").ToArray();

    private static string OutputName(int o) => $"outputs[{o}]";

    private static string ParameterSymbol(ModuleMap map) => map.ParameterName == "beta" ? "β" : map.ParameterIsVector ? "K" : "k";

    private static string Shapes(long[][] shapes) => string.Join(", ", shapes.Select(shape => $"[{string.Join(", ", shape)}]"));
}
