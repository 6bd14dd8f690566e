using Interop.CrossCheck.WrongFunctions;
using Interop.Reference;
using Interop.Tests.Checking.WrongFunctions;
using Interop.Tests.Numerics;
using static TorchSharp.torch;

namespace Interop.CrossCheck;

/// <summary>
/// A deliberately wrong Function and the point it is checked at. Its twin in pytorch_side.py has the same name.
/// </summary>
/// <param name="Name">The C# class's name, and the Python class's.</param>
/// <param name="Bug">What is wrong, in a few words.</param>
/// <param name="Map">The map it claims to implement, with it as the Function.</param>
/// <param name="Shape">x's shape.</param>
/// <param name="Parameter">β or k; for K, the value that <see cref="ModuleMap.MakeParameter"/> spreads over the columns.</param>
public sealed record WrongFunction(string Name, string Bug, ModuleMap Map, long[] Shape, double Parameter)
{
    /// <summary>The six of the tests (Interop.Tests/Checking/WrongFunctions) and nine more.</summary>
    public static IReadOnlyList<WrongFunction> All { get; } =
    [
        new(nameof(BetaSignErrorExponentialFunction), "sign error in β's gradient",
            ModuleMap.Exponential with { Function = BetaSignErrorExponentialFunction.apply }, [3, 4], 0.8),
        new(nameof(XSignErrorSoftmaxFunction), "sign error in x's gradient",
            ModuleMap.Softmax with { Function = XSignErrorSoftmaxFunction.apply }, [3, 4], 1.3),
        new(nameof(MissingInverseBetaLogSumFunction), "a missing factor (1/β) in β's gradient",
            ModuleMap.LogSum with { Function = MissingInverseBetaLogSumFunction.apply }, [3, 4], 1.3),
        new(nameof(DetachedOutputExponentialFunction), "the saved output detached (right at first order)",
            ModuleMap.Exponential with { Function = DetachedOutputExponentialFunction.apply }, [3, 4], 1.1),
        new(nameof(DetachedGradOutputExponentialFunction), "grad_output detached (right at first order)",
            ModuleMap.Exponential with { Function = DetachedGradOutputExponentialFunction.apply }, [3, 4], 1.1),
        new(nameof(IgnoresGradOutputExponentialFunction), "grad_output ignored (taken as all ones)",
            ModuleMap.Exponential with { Function = IgnoresGradOutputExponentialFunction.apply }, [3, 4], -0.7),
        new(nameof(GradOutputTwiceExponentialFunction), "grad_output multiplied in twice (g² = g for 0/1 grad_outputs)",
            ModuleMap.Exponential with { Function = GradOutputTwiceExponentialFunction.apply }, [3, 4], 0.9),
        new(nameof(FirstRowOnlyComponentScalingFunction), "K's gradient from the first row only (no sum over the batch)",
            ModuleMap.ComponentScaling with { Function = FirstRowOnlyComponentScalingFunction.apply }, [3, 4], 1.2),
        new(nameof(MeanInsteadOfSumGlobalScalingFunction), "k's gradient a mean instead of a sum",
            ModuleMap.GlobalScaling with { Function = MeanInsteadOfSumGlobalScalingFunction.apply }, [3, 4], 0.6),
        new(nameof(WholeBatchSumSoftmaxFunction), "a row's sum Σ_j g_j y_j taken over the whole batch",
            ModuleMap.Softmax with { Function = WholeBatchSumSoftmaxFunction.apply }, [3, 4], 1.3),
        new(nameof(TransposedGradientComponentScalingFunction), "x's gradient transposed (square x)",
            ModuleMap.ComponentScaling with { Function = TransposedGradientComponentScalingFunction.apply }, [4, 4], 1.2),
        new(nameof(LastColumnDroppedExponentialFunction), "x's gradient of the wrong shape (last column dropped)",
            ModuleMap.Exponential with { Function = LastColumnDroppedExponentialFunction.apply }, [3, 4], 0.9),
        new(nameof(Float32GradientExponentialFunction), "gradients computed in float32 for float64 inputs",
            ModuleMap.Exponential with { Function = Float32GradientExponentialFunction.apply }, [3, 4], 0.8),
        new(nameof(NoisyBackwardExponentialFunction), "non-deterministic backward (relative noise of 1e-9)",
            ModuleMap.Exponential with { Function = NoisyBackwardExponentialFunction.apply }, [3, 4], 0.5),
        new(nameof(InPlaceOnSavedOutputExponentialFunction), "the saved output overwritten in place by backward",
            ModuleMap.Exponential with { Function = InPlaceOnSavedOutputExponentialFunction.apply }, [3, 4], 0.8),
    ];

    /// <summary>x uniform in (−2, 2), drawn from a generator seeded with <paramref name="seed"/>; the parameter as described above.</summary>
    public WrongFunctionInputs Inputs(ulong seed)
    {
        var random = new SplitMix64(seed);
        var x = Enumerable.Range(0, (int)Shape.Aggregate(1L, (a, b) => a * b)).Select(_ => random.Uniform(-2, 2)).ToArray();
        using var scope = NewDisposeScope();
        var parameter = Map.MakeParameter(Parameter, Shape[^1]);
        return new WrongFunctionInputs(Name, Map.Name, Shape, parameter.shape, x, parameter.data<double>().ToArray());
    }
}
