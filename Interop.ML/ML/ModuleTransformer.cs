using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>
/// What a trainer of this library returns: a TorchSharp module trained in ML.NET, exported to ONNX and scored by
/// ML.NET's own <c>OnnxTransformer</c> (plus stock ML.NET transforms). <c>mlContext.Model.Save</c> writes exactly
/// that stock chain, with the ONNX bytes inside the zip, so a saved model loads and scores with Microsoft.ML,
/// Microsoft.ML.OnnxTransformer and ONNX Runtime alone: neither this library nor TorchSharp is needed to score.
/// </summary>
public abstract class ModuleTransformer : ITransformer
{
    private readonly ITransformer _scoring;

    private protected ModuleTransformer(ITransformer scoring, byte[] onnxModel, string featureColumnName, DataViewType featureType,
        IReadOnlyList<double> lossHistory)
    {
        _scoring = scoring;
        OnnxModel = onnxModel;
        FeatureColumnName = featureColumnName;
        FeatureType = featureType;
        LossHistory = lossHistory;
    }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type in training; scoring data must have the same type.</summary>
    public DataViewType FeatureType { get; }

    /// <summary>The scoring graph as ONNX protobuf bytes: its input is named after the feature column.</summary>
    public ReadOnlyMemory<byte> OnnxModel { get; }

    /// <summary>The mean training loss of each epoch that ran.</summary>
    public IReadOnlyList<double> LossHistory { get; }

    bool ITransformer.IsRowToRowMapper => _scoring.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return _scoring.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input.Schema);
        return _scoring.Transform(input);
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return _scoring.GetRowToRowMapper(inputSchema);
    }

    // ML.NET lets no outside assembly write its own state into a model zip, so the model saves as the stock
    // scoring chain it delegates to; loading it gives that chain, which predicts the same.
    void ICanSaveModel.Save(ModelSaveContext ctx) => _scoring.Save(ctx);

    private void CheckInput(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var type = ColumnSink.Find(inputSchema, FeatureColumnName).Type;
        if (!type.Equals(FeatureType))
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Column '{FeatureColumnName}' must be {FeatureType}, as in training{FeatureCountHint(type)}; got {type}.");
    }

    private string FeatureCountHint(DataViewType type) =>
        type is VectorDataViewType got && FeatureType is VectorDataViewType trained && got.Size != trained.Size
            ? $" (the model was trained on {trained.Size} features, the data has {got.Size})"
            : "";
}
