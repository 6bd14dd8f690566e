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
/// As in PyTorch, the inputs that require grad are the ones checked; the others are held fixed. The caller's tensors
/// are not modified. Inputs narrower than float64 are handled as <see cref="GradientCheckOptions.float32"/> says, and
/// the report warns about them. The Jacobians are built element by element, so these checks are for small inputs
/// (tens of elements), which is all a check needs.
/// <para>
/// Every backward runs through <see cref="SafeAutograd.grad"/>, so a backward that autograd refuses (a gradient of
/// the wrong shape, say) fails the report instead of ending the process. The checks print nothing.
/// </para>
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
        var function = CheckedFunction.Of(nameof(gradcheck), "a function", func, inputs, InputNames(inputs), OutputName, o.AnalyticalInFloat64);
        return FiniteDifferenceCheck.Run(nameof(gradcheck), function, o, firstOrder: true, secondOrder: o.second_order, gradOutputs: null);
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
        return FiniteDifferenceCheck.Run(nameof(gradcheck), function, o, firstOrder: true, secondOrder: o.second_order, gradOutputs: null);
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
        var function = CheckedFunction.Of(nameof(gradgradcheck), "a function", func, inputs, InputNames(inputs), OutputName, o.AnalyticalInFloat64);
        return FiniteDifferenceCheck.Run(nameof(gradgradcheck), function, o, firstOrder: false, secondOrder: true, GradOutputs(function, grad_outputs));
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
        return FiniteDifferenceCheck.Run(nameof(gradgradcheck), function, o, firstOrder: false, secondOrder: true,
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
        var function = CheckedFunction.Of(nameof(compare), "a function", func, inputs, names, OutputName, o.AnalyticalInFloat64);
        var trusted = CheckedFunction.Of(nameof(compare), "the reference", reference, inputs, names, OutputName, o.AnalyticalInFloat64);
        return ImplementationComparison.Run(function, trusted, "reference", "function", o);
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
        return ImplementationComparison.Run(function, twin, "autograd", "hand-written", o);
    }

    private static CheckedFunction Bind(string check, ModuleMap map, Func<Tensor, Tensor, Tensor> apply, Tensor x, Tensor parameter, GradientCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameter);
        return CheckedFunction.Of(check, $"{map.Name} ({map.Formula})", arguments => [apply(arguments[0], arguments[1])], [x, parameter],
            ["x", ParameterSymbol(map)], _ => "y", options.AnalyticalInFloat64);
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

    private static string[] InputNames(IReadOnlyList<Tensor> inputs) =>
        Enumerable.Range(0, inputs?.Count ?? 0).Select(k => $"inputs[{k}]").ToArray();

    private static string OutputName(int o) => $"outputs[{o}]";

    private static string ParameterSymbol(ModuleMap map) => map.ParameterName == "beta" ? "β" : map.ParameterIsVector ? "K" : "k";
}
