using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Interop.Onnx;

/// <summary>
/// Builds an ONNX graph through OnnxSharp's generated protobuf types (the ONNX schema's own model, never hand-made
/// bytes). Constants made from tensors take the graph's floating-point type, so a float32 model stays float32.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>
    /// The ONNX operator set the graphs are written for: 12, the one ML.NET's own converter writes, so that a pipeline's
    /// graph and a trainer's join into one model. Every operator used (reductions with axes as an attribute, Softmax on
    /// the last axis) means the same in operator sets 12 to 17.
    /// </summary>
    public const int Opset = 12;

    /// <summary>The symbolic name of a free batch dimension.</summary>
    public const string BatchDimension = "batch";

    private readonly GraphProto _graph;
    private readonly List<StringStringEntryProto> _metadata = [];
    private int _names;

    public OnnxGraph(string name, ScalarType dtype)
    {
        ElementType = dtype switch
        {
            ScalarType.Float32 => DataType.Float,
            ScalarType.Float64 => DataType.Double,
            _ => throw new ArgumentException($"ONNX export: the input must be float32 or float64; got {dtype}.", nameof(dtype)),
        };
        DType = dtype;
        _graph = new GraphProto { Name = name };
    }

    /// <summary>The floating-point type of the graph's constants: FLOAT or DOUBLE.</summary>
    public DataType ElementType { get; }

    /// <summary>The same type as a TorchSharp dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>Declares a graph input; a dimension of −1 is the free batch dimension.</summary>
    public string Input(string name, DataType type, IReadOnlyList<long> shape)
    {
        _graph.Input.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>
    /// Declares a graph input that ML.NET feeds as Single or, when <paramref name="isDouble"/>, as Double, and returns
    /// the value as float: a Double input is cast, since the trained graphs compute in float32.
    /// </summary>
    public string FloatInput(string name, bool isDouble, IReadOnlyList<long> shape)
    {
        var input = Input(name, isDouble ? DataType.Double : DataType.Float, shape);
        return isDouble ? Node("Cast", [input], null, Int("to", (long)DataType.Float)) : input;
    }

    /// <summary>Declares that the value <paramref name="name"/> is a graph output; a dimension of −1 is the free batch dimension.</summary>
    public void Output(string name, DataType type, IReadOnlyList<long> shape) => _graph.Output.Add(ValueInfo(name, type, shape));

    /// <summary>A constant of the graph's floating-point type holding a copy of <paramref name="value"/>.</summary>
    public string Constant(string hint, Tensor value)
    {
        using var scope = NewDisposeScope();
        var data = value.detach().cpu().to(DType).contiguous();
        var proto = new TensorProto { Name = Fresh(hint), DataType = (int)ElementType };
        proto.Dims.AddRange(data.shape);
        if (DType == ScalarType.Float32)
            proto.FloatData.AddRange(data.data<float>().ToArray());
        else
            proto.DoubleData.AddRange(data.data<double>().ToArray());
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>
    /// A learned parameter as a constant of the graph's floating-point type named exactly <paramref name="name"/>, so
    /// that it can be read back from the model.
    /// </summary>
    public string Parameter(string name, Tensor value)
    {
        string constant = Constant(name, value);
        _graph.Initializer.Single(initializer => initializer.Name == constant).Name = name;
        return name;
    }

    /// <summary>A key and value in the model's metadata_props.</summary>
    public void Metadata(string key, string value) => _metadata.Add(new StringStringEntryProto { Key = key, Value = value });

    /// <summary>A constant int64 vector, such as the axes of a reduction.</summary>
    public string Constant(string hint, long[] values)
    {
        var proto = new TensorProto { Name = Fresh(hint), DataType = (int)DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A constant string vector, such as class names.</summary>
    public string Constant(string hint, IReadOnlyList<string> values)
    {
        var proto = new TensorProto { Name = Fresh(hint), DataType = (int)DataType.String };
        proto.Dims.Add(values.Count);
        proto.StringData.AddRange(values.Select(ByteString.CopyFromUtf8));
        _graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>Adds a node and returns the name of its output (<paramref name="output"/>, or a fresh name).</summary>
    public string Node(string op, IReadOnlyList<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs);
        node.Output.Add(output ?? Fresh(op.ToLowerInvariant()));
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>The finished model, as ONNX protobuf bytes.</summary>
    public byte[] ToBytes()
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Interop",
            ProducerVersion = typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.AddRange(_metadata);
        return model.ToByteArray();
    }

    private string Fresh(string hint) => $"{hint}_{_names++}";

    private static ValueInfoProto ValueInfo(string name, DataType type, IReadOnlyList<long> shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (long dim in shape)
            tensorShape.Dim.Add(dim < 0
                ? new TensorShapeProto.Types.Dimension { DimParam = BatchDimension }
                : new TensorShapeProto.Types.Dimension { DimValue = dim });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }
}
