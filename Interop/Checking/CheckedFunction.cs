using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Checking;

/// <summary>
/// A function bound to the inputs it is checked at, as the checks see it: only the inputs that require grad are its
/// arguments (the others are held fixed, as in PyTorch's gradcheck), every input and output has a name for the
/// report, and it can run at the inputs' own precision or on float64 copies. <see cref="Backward"/> turns it into
/// the function that a second-order check examines.
/// </summary>
internal sealed class CheckedFunction
{
    private readonly Func<Tensor[], Tensor[]> _asGiven;
    private readonly Func<Tensor[], Tensor[]> _inFloat64;

    private CheckedFunction(
        string subject, Tensor[] inputs, string[] inputNames, string[] outputNames, long[][] outputShapes,
        string[] narrowInputs, Func<Tensor[], Tensor[]> asGiven, Func<Tensor[], Tensor[]> inFloat64)
    {
        Subject = subject;
        Inputs = inputs;
        InputNames = inputNames;
        OutputNames = outputNames;
        OutputShapes = outputShapes;
        NarrowInputs = narrowInputs;
        _asGiven = asGiven;
        _inFloat64 = inFloat64;
    }

    /// <summary>What is being checked, for the report's title.</summary>
    public string Subject { get; }

    /// <summary>The checked inputs (those that require grad), as the caller gave them.</summary>
    public Tensor[] Inputs { get; }

    public string[] InputNames { get; }
    public string[] OutputNames { get; }
    public long[][] OutputShapes { get; }

    /// <summary>Names of the inputs, checked or fixed, that are floating-point but narrower than float64.</summary>
    public string[] NarrowInputs { get; }

    /// <summary>
    /// Binds <paramref name="function"/> to <paramref name="inputs"/>, keeps those that require grad as arguments, and
    /// runs it once (without grad) so that a function that returns nothing usable fails here, with a clear message,
    /// before any backward runs.
    /// </summary>
    public static CheckedFunction Of(
        string check, string subject, Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> inputs, IReadOnlyList<string> inputNames,
        Func<int, string> outputName, bool analyticalInFloat64)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        for (int k = 0; k < inputs.Count; k++)
        {
            if (inputs[k] is null || inputs[k].IsInvalid)
                throw new ArgumentException($"{check}: {inputNames[k]} must be a live tensor; got {(inputs[k] is null ? "null" : "a disposed one")}.", nameof(inputs));
        }
        var checkedIndices = Enumerable.Range(0, inputs.Count).Where(k => inputs[k].is_floating_point() && inputs[k].requires_grad).ToArray();
        if (checkedIndices.Length == 0)
            throw new ArgumentException(
                $"{check}: at least one input must be a floating-point tensor that requires grad, marking what to check; got {inputs.Count} input(s), none of them. " +
                "Call requires_grad_() on the inputs to differentiate.", nameof(inputs));

        var asGiven = Bind(function, inputs, checkedIndices, upcast: false);
        var inFloat64 = Bind(function, inputs, checkedIndices, upcast: true);
        var checkedInputs = checkedIndices.Select(k => inputs[k]).ToArray();
        Tensor[] outputs;
        using (no_grad())
            outputs = Jacobian.Evaluate(check, analyticalInFloat64 ? inFloat64 : asGiven, analyticalInFloat64 ? checkedInputs.Select(Upcast).ToArray() : checkedInputs);
        return new CheckedFunction(
            subject,
            checkedInputs,
            checkedIndices.Select(k => inputNames[k]).ToArray(),
            Enumerable.Range(0, outputs.Length).Select(outputName).ToArray(),
            outputs.Select(output => output.shape).ToArray(),
            Enumerable.Range(0, inputs.Count).Where(k => IsNarrow(inputs[k])).Select(k => $"{inputNames[k]} ({inputs[k].dtype})").ToArray(),
            asGiven,
            inFloat64);
    }

    /// <summary>The function of the checked inputs, at their own precision or with every fixed input upcast to float64 as well.</summary>
    public Func<Tensor[], Tensor[]> Function(bool inFloat64) => inFloat64 ? _inFloat64 : _asGiven;

    /// <summary>The checked inputs, as given or upcast to float64.</summary>
    public Tensor[] InputsAt(bool inFloat64) => inFloat64 ? Inputs.Select(Upcast).ToArray() : Inputs;

    /// <summary>
    /// The backward as a function, (inputs, grad_outputs) ↦ ∂⟨grad_outputs, f(inputs)⟩/∂inputs, checked at
    /// (<see cref="Inputs"/>, <paramref name="gradOutputs"/>). Its outputs are the gradients, one per checked input,
    /// named ∂E/∂input; the grad_outputs are named ∂E/∂output.
    /// </summary>
    public CheckedFunction Backward(Tensor[] gradOutputs) => new(
        Subject,
        [.. Inputs, .. gradOutputs],
        [.. InputNames, .. OutputNames.Select(GradientName)],
        InputNames.Select(GradientName).ToArray(),
        Inputs.Select(input => input.shape).ToArray(),
        NarrowInputs,
        VectorJacobianProduct.AsFunction(_asGiven, Inputs.Length),
        VectorJacobianProduct.AsFunction(_inFloat64, Inputs.Length));

    /// <summary>Random grad_outputs, standard normal, one per output, in the dtype the analytical side runs in.</summary>
    public Tensor[] RandomGradOutputs(Generator generator, bool inFloat64)
    {
        using var noGrad = no_grad();
        var outputs = Jacobian.Evaluate("gradgradcheck", Function(inFloat64), InputsAt(inFloat64));
        return outputs.Select(output => randn(output.shape, ScalarType.Float64, generator: generator).to(output.dtype, output.device)).ToArray();
    }

    /// <summary>The copy that <see cref="Float32Policy.Upcast"/> works on: float64 for a narrower floating-point tensor, the tensor itself otherwise.</summary>
    public static Tensor Upcast(Tensor tensor) => IsNarrow(tensor) ? tensor.detach().to(ScalarType.Float64) : tensor;

    /// <summary>One comparison per (output, input) pair, outputs first, in the order the report lists them.</summary>
    public JacobianPairResult[] Pairs(int order, Func<JacobianComparison.Pair, JacobianPairResult> compare) =>
        (from o in Enumerable.Range(0, OutputNames.Length)
         from k in Enumerable.Range(0, InputNames.Length)
         select compare(new JacobianComparison.Pair(order, o, OutputNames[o], k, InputNames[k], OutputShapes[o].Length))).ToArray();

    private static string GradientName(string name) => $"∂E/∂{name}";

    private static bool IsNarrow(Tensor tensor) => tensor.is_floating_point() && tensor.dtype != ScalarType.Float64;

    private static Func<Tensor[], Tensor[]> Bind(Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> inputs, int[] checkedIndices, bool upcast)
    {
        var all = inputs.Select(input => (upcast ? Upcast(input) : input).detach()).ToArray();
        return arguments =>
        {
            var call = (Tensor[])all.Clone();
            for (int i = 0; i < checkedIndices.Length; i++)
                call[checkedIndices[i]] = arguments[i];
            return function(call);
        };
    }
}
