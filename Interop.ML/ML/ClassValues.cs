using Interop.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Interop.ML;

/// <summary>
/// The values behind a key-typed label (its KeyValues annotation), in key order. The scoring graph gathers the
/// predicted class's value from them and ML.NET's MapValueToKey, given them as its key data, turns that value back
/// into the label's key, so PredictedLabel has the label's key count and key values. Text and Single key values are
/// kept; a label without them (or with another type) gets the key numbers "1" … "C" as text.
/// </summary>
internal sealed class ClassValues
{
    private const string KeyValuesKind = "KeyValues";
    private readonly string[]? _text;
    private readonly float[]? _numbers;

    private ClassValues(string[]? text, float[]? numbers)
    {
        _text = text;
        _numbers = numbers;
    }

    public int Count => _text?.Length ?? _numbers!.Length;

    /// <summary>The element type of the graph's PredictedLabel output.</summary>
    public DataType ElementType => _text is null ? DataType.Float : DataType.String;

    /// <summary>The class values of a key-typed label column with <paramref name="count"/> keys.</summary>
    public static ClassValues Of(DataViewSchema.Column label, int count)
    {
        var annotation = label.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        if (annotation?.Type is VectorDataViewType { ItemType: TextDataViewType } && Read<ReadOnlyMemory<char>>(label, count) is { } text)
            return new ClassValues(text.Select(value => value.ToString()).ToArray(), null);
        if (annotation?.Type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single && Read<float>(label, count) is { } numbers)
            return new ClassValues(null, numbers);
        return KeyNumbers(count);
    }

    /// <summary>The values as a constant of <paramref name="graph"/>.</summary>
    public string Constant(OnnxGraph graph) => _text is null ? graph.Constant("classes", tensor(_numbers!)) : graph.Constant("classes", _text);

    /// <summary>The values as the one-column key data of MapValueToKey.</summary>
    public IDataView KeyData(MLContext context) => _text is null
        ? tensor(_numbers!).ToDataView("Value")
        : context.Data.LoadFromEnumerable(_text.Select(value => new TextValue { Value = value }));

    /// <summary>A lookup from <paramref name="keys"/>[c] to class c's value, columns "Key" (UInt32) and "Value", for MapValue.</summary>
    public IDataView Lookup(MLContext context, uint[] keys) => _text is null
        ? context.Data.LoadFromEnumerable(keys.Select((key, c) => new NumberEntry { Key = key, Value = _numbers![c] }))
        : context.Data.LoadFromEnumerable(keys.Select((key, c) => new TextEntry { Key = key, Value = _text[c] }));

    private static ClassValues KeyNumbers(int count) => new(Enumerable.Range(1, count).Select(key => key.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), null);

    private static T[]? Read<T>(DataViewSchema.Column label, int count)
    {
        VBuffer<T> values = default;
        label.Annotations.GetValue(KeyValuesKind, ref values);
        return values.Length == count ? values.DenseValues().ToArray() : null;
    }

    private sealed class TextValue
    {
        public string Value { get; set; } = "";
    }

    private sealed class TextEntry
    {
        public uint Key { get; set; }
        public string Value { get; set; } = "";
    }

    private sealed class NumberEntry
    {
        public uint Key { get; set; }
        public float Value { get; set; }
    }
}
