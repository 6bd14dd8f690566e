using Interop.Modules;
using Interop.Onnx;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Onnx;

/// <summary>Each module, and a Sequential of them, exported to ONNX and run in ONNX Runtime, against TorchSharp in float32.</summary>
public class OnnxExportTests
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Modules => ["Exponential", "ComponentScaling", "GlobalScaling", "Softmax", "LogSum", "Sequential"];

    private static nn.Module<Tensor, Tensor> Make(string name) => name switch
    {
        "Exponential" => new Exponential(beta: 0.7),
        "ComponentScaling" => new ComponentScaling(tensor(new[] { 0.5f, -1.25f, 2f, 3f, 0.1f })),
        "GlobalScaling" => new GlobalScaling(k: -1.5),
        "Softmax" => new Softmax(beta: 1.3),
        "LogSum" => new LogSum(beta: 0.6),
        _ => nn.Sequential(("scale", new ComponentScaling(tensor(new[] { 0.5f, 1.5f, 1f, 2f, 0.25f }))), ("exp", new Exponential(beta: 0.4)),
            ("global", new GlobalScaling(k: 3)), ("softmin", new LogSum(beta: 2))),
    };

    [Theory]
    [MemberData(nameof(Modules))]
    public void Onnx_runtime_matches_torchsharp(string name)
    {
        using var model = Make(name);
        using var example = randn([3, 5], generator: new Generator(11));
        var bytes = OnnxExport.to_bytes(model, example);

        // A batch of another size than the example: the batch dimension is free.
        using var x = randn([7, 5], generator: new Generator(12)) * 2;
        using var expected = model.call(x).detach();
        using var session = new InferenceSession(bytes);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor(x.data<float>().ToArray(), [7, 5]))]);
        var actual = results.Single(result => result.Name == "output").AsTensor<float>();

        Assert.Equal(expected.shape.Select(d => (int)d), actual.Dimensions.ToArray());
        var reference = expected.data<float>().ToArray();
        var got = actual.ToArray();
        float worst = reference.Zip(got, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"{name}: max |ONNX Runtime − TorchSharp| = {worst:E3} > {Tolerance:E0}");
    }

    [Fact]
    public void Export_writes_a_file_that_onnx_runtime_loads()
    {
        string path = Path.Combine(Path.GetTempPath(), $"interop-{Guid.NewGuid():N}.onnx");
        try
        {
            using var model = new Softmax(beta: 2);
            OnnxExport.export(model, ones(2, 4), path, input_name: "x", output_name: "p");
            using var session = new InferenceSession(path);
            Assert.Equal("x", session.InputMetadata.Keys.Single());
            Assert.Equal("p", session.OutputMetadata.Keys.Single());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_module_that_is_not_one_of_the_five_is_refused_by_name()
    {
        using var model = nn.Sequential(("exp", new Exponential()), ("relu", nn.ReLU()));
        var error = Assert.Throws<ArgumentException>(() => OnnxExport.to_bytes(model, ones(2, 3)));
        Assert.Contains("cannot export a ReLU", error.Message);
    }
}
