using Interop.Autograd;
using Interop.Functions;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Functions;

/// <summary>Misuse gets an ArgumentException that names the Function, the argument, what was expected and what came.</summary>
public class ArgumentValidationTests
{
    private static readonly Dictionary<string, Func<Tensor, Tensor, Tensor>> Applies = new()
    {
        ["ExponentialFunction"] = ExponentialFunction.apply,
        ["ComponentScalingFunction"] = ComponentScalingFunction.apply,
        ["GlobalScalingFunction"] = GlobalScalingFunction.apply,
        ["SoftmaxFunction"] = SoftmaxFunction.apply,
        ["LogSumFunction"] = LogSumFunction.apply,
    };

    /// <summary>Each Function with the name of its parameter argument.</summary>
    public static TheoryData<string, string> FunctionsAndParameters() => new()
    {
        { "ExponentialFunction", "beta" },
        { "ComponentScalingFunction", "k" },
        { "GlobalScalingFunction", "k" },
        { "SoftmaxFunction", "beta" },
        { "LogSumFunction", "beta" },
    };

    private static ArgumentException Misuse(string function, Tensor x, Tensor parameter, string argument, params string[] fragments)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Applies[function](x, parameter));
        Assert.Equal(argument, error.ParamName);
        Assert.Contains(function, error.Message);
        Assert.Contains($"'{argument}'", error.Message);
        foreach (var fragment in fragments)
            Assert.Contains(fragment, error.Message);
        return error;
    }

    [Fact]
    public void K_of_the_wrong_length() =>
        Misuse("ComponentScalingFunction", ones(2, 3), ones(4), "x", "[..., 4]", "got shape [2, 3]");

    [Fact]
    public void K_that_is_not_a_vector() =>
        Misuse("ComponentScalingFunction", ones(2, 3), ones(1, 3), "k", "shape [N]", "got shape [1, 3]");

    [Theory]
    [InlineData("ExponentialFunction", "beta")]
    [InlineData("GlobalScalingFunction", "k")]
    [InlineData("SoftmaxFunction", "beta")]
    [InlineData("LogSumFunction", "beta")]
    public void Non_scalar_parameter(string function, string parameter) =>
        Misuse(function, ones(2, 3), ones(3), parameter, "0-d", "got shape [3]");

    [Theory]
    [InlineData("ExponentialFunction")]
    [InlineData("ComponentScalingFunction")]
    [InlineData("GlobalScalingFunction")]
    [InlineData("SoftmaxFunction")]
    [InlineData("LogSumFunction")]
    public void Integer_input(string function) =>
        Misuse(function, ones([2, 3], ScalarType.Int64), ParameterFor(function, ScalarType.Int64), "x", "float32 or float64", "got Int64");

    [Theory]
    [MemberData(nameof(FunctionsAndParameters))]
    public void Parameter_of_another_dtype(string function, string parameter) =>
        Misuse(function, ones([2, 3], ScalarType.Float64), ParameterFor(function, ScalarType.Float32), parameter, "Float64", "got Float32");

    [Theory]
    [MemberData(nameof(FunctionsAndParameters))]
    public void Parameter_on_another_device(string function, string parameter) =>
        Misuse(function, ones(2, 3), ParameterFor(function, ScalarType.Float32).to(META), parameter, "x's device cpu", "got meta");

    [Theory]
    [InlineData("SoftmaxFunction")]
    [InlineData("LogSumFunction")]
    public void Empty_last_dimension(string function) =>
        Misuse(function, ones(2, 0), tensor(1.0f), "x", "N ≥ 1", "got shape [2, 0]");

    [Theory]
    [InlineData("SoftmaxFunction")]
    [InlineData("LogSumFunction")]
    public void Zero_dimensional_input_where_a_last_dimension_is_needed(string function) =>
        Misuse(function, tensor(1.0f), tensor(1.0f), "x", "[..., N]", "got shape []");

    [Fact]
    public void The_general_apply_with_too_few_inputs_names_them() =>
        Assert.Contains("ExponentialFunction: expected 2 inputs (x, beta); got 1",
            Assert.Throws<ArgumentException>(() => Function<ExponentialFunction>.apply(ones(3))).Message);

    [Fact]
    public void A_null_input_is_named() =>
        Assert.Contains("SoftmaxFunction: 'beta' must be a tensor; got null",
            Assert.Throws<ArgumentNullException>(() => SoftmaxFunction.apply(ones(3), null!)).Message);

    private static Tensor ParameterFor(string function, ScalarType dtype) =>
        function == "ComponentScalingFunction" ? ones([3], dtype) : tensor(1, dtype);
}
