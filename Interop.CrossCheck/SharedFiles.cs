using System.Text.Json;
using System.Text.Json.Serialization;
using Interop.Tests.Numerics.Grid;
using static TorchSharp.torch;

namespace Interop.CrossCheck;

/// <summary>
/// The two files the sides exchange. Interop's side writes the cases (<see cref="CaseFile"/>) once; PyTorch's side
/// (pytorch_side.py) reads them and writes its results (<see cref="PyTorchFile"/>). Numbers are JSON numbers, written
/// and read to the last bit by both; NaN and ±∞ are the strings "NaN", "Infinity" and "-Infinity".
/// </summary>
public static class SharedFiles
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static void Write<T>(string path, T content) => File.WriteAllText(path, JsonSerializer.Serialize(content, Options));

    /// <summary>Reads <paramref name="path"/>; a file that does not parse is an <see cref="InvalidDataException"/> naming it and the place.</summary>
    public static T Read<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                ?? throw new InvalidDataException($"{path}: holds null; expected a {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{e.LineNumber + 1}: {e.Message}", e);
        }
    }
}

/// <summary>What both sides compute on: the grid cases and the inputs of the wrong Functions.</summary>
public sealed record CaseFile(IReadOnlyList<SharedGridCase> Grid, IReadOnlyList<WrongFunctionInputs> WrongFunctions);

/// <summary>A <see cref="GridCase"/> as both sides read it, with the shapes PyTorch's side needs spelled out.</summary>
public sealed record SharedGridCase(
    string Id, string Module, [property: JsonPropertyName("dtype")] string DType, string Family, int Index,
    long[] Shape, long[] ParameterShape, long[] OutputShape,
    double[] X, double[] Parameter, double[] Upstream, double[] DirectionX, double[] DirectionParameter,
    int StandInExponent)
{
    public static SharedGridCase From(GridCase c) => new(
        c.Id, c.Module, c.DTypeName, c.Family, c.Index, c.Shape, c.ParameterShape, c.OutputShape,
        c.X, c.Parameter, c.Upstream, c.DirectionX, c.DirectionParameter, c.StandInExponent);

    public GridCase ToGridCase() => new(
        Module, DType == "float32" ? ScalarType.Float32 : ScalarType.Float64, Family, Index, Shape,
        X, Parameter, Upstream, DirectionX, DirectionParameter, StandInExponent);

    /// <summary>The inputs, named as in pytorch_side.py's echo.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, double[]> Inputs => new Dictionary<string, double[]>
    {
        ["x"] = X, ["parameter"] = Parameter, ["upstream"] = Upstream, ["directionX"] = DirectionX, ["directionParameter"] = DirectionParameter,
    };
}

/// <summary>The point at which a wrong Function is checked, the same in both languages (float64).</summary>
public sealed record WrongFunctionInputs(string Name, string Module, long[] Shape, long[] ParameterShape, double[] X, double[] Parameter);

/// <summary>What pytorch_side.py wrote.</summary>
public sealed record PyTorchFile(string Torch, string Python, IReadOnlyList<PyTorchCase> Grid, IReadOnlyList<PyTorchVerdicts> WrongFunctions);

/// <summary>
/// One grid case through PyTorch: the inputs as it read them, and every measure, keyed "Quantity/Path" as in
/// <see cref="Measure"/> (for example "GradX/Plain"), or the error it raised.
/// </summary>
public sealed record PyTorchCase(string Id, Dictionary<string, double[]> Inputs, Dictionary<string, double[]>? Values = null, string? Error = null)
{
    public static string Key(Measure measure) => $"{measure.Quantity}/{measure.Path}";
}

/// <summary>A wrong Function through torch.autograd.gradcheck and gradgradcheck.</summary>
public sealed record PyTorchVerdicts(string Name, CheckVerdict Gradcheck, CheckVerdict Gradgradcheck);

/// <summary>Whether a check caught the bug, and the first line of why (or "passed").</summary>
public sealed record CheckVerdict(bool Caught, string Reason);
