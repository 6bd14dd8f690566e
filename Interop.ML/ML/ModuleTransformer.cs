using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>
/// What a trainer of this library returns: a TorchSharp module trained in ML.NET, exported to ONNX and scored by a
/// chain of stock ML.NET transformers (the <c>OnnxTransformer</c>, then stock transforms that give ML.NET's standard
/// columns). <c>mlContext.Model.Save</c> writes exactly that stock chain, with the ONNX bytes inside the zip, so a saved
/// model loads and scores with Microsoft.ML, Microsoft.ML.OnnxTransformer and ONNX Runtime alone: neither this library
/// nor TorchSharp is needed to score. As an <see cref="ISingleFeaturePredictionTransformer{TModel}"/> it works with
/// ML.NET's permutation feature importance. Dispose it to release the ONNX Runtime session early.
/// </summary>
/// <typeparam name="TModel">The learned parameters.</typeparam>
public abstract class ModuleTransformer<TModel> : ISingleFeaturePredictionTransformer<TModel>, IDisposable where TModel : class
{
    private readonly ITransformer _scoring;
    private readonly OnnxModelFile _file;

    private protected ModuleTransformer(ITransformer scoring, OnnxModelFile file, byte[] onnxModel, string featureColumnName,
        DataViewType featureType, TModel model, IReadOnlyList<TrainingEpoch> history)
    {
        _scoring = scoring;
        _file = file;
        OnnxModel = onnxModel;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = featureType;
        Model = model;
        History = history;
    }

    /// <summary>The learned parameters.</summary>
    public TModel Model { get; }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The feature column's type in training; scoring data must have the same type.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>
    /// The model alone as an ONNX graph (protobuf bytes) over batches: its input, named after the feature column, takes
    /// rows [N, D]; the classifier's outputs are Score [N, C] and PredictedLabel [N] (the class values), the decay
    /// curve's Score [N, 1]. <see cref="Interop.Onnx.OnnxPipelines.ConvertPipelineToOnnx"/> exports a whole pipeline.
    /// </summary>
    public ReadOnlyMemory<byte> OnnxModel { get; }

    /// <summary>What every epoch of training measured, including validation metrics when there were validation rows.</summary>
    public IReadOnlyList<TrainingEpoch> History { get; }

    /// <summary>The mean training loss of each epoch that ran.</summary>
    public IReadOnlyList<double> LossHistory => History.Select(epoch => epoch.TrainingLoss).ToArray();

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
    // scoring chain it delegates to; loading it gives that chain, which predicts the same. The OnnxTransformer
    // reads its graph back from the file it was made from, so the file exists for the length of the Save.
    void ICanSaveModel.Save(ModelSaveContext ctx) => _file.While(_ =>
    {
        _scoring.Save(ctx);
        return true;
    });

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        (_scoring as IDisposable)?.Dispose();
        _file.Dispose();
        GC.SuppressFinalize(this);
    }

    private void CheckInput(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var type = ColumnSink.Find(inputSchema, FeatureColumnName).Type;
        if (!type.Equals(FeatureColumnType))
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Column '{FeatureColumnName}' must be {FeatureColumnType}, as in training{FeatureCountHint(type)}; got {type}.");
    }

    private string FeatureCountHint(DataViewType type) =>
        type is VectorDataViewType got && FeatureColumnType is VectorDataViewType trained && got.Size != trained.Size
            ? $" (the model was trained on {trained.Size} features, the data has {got.Size})"
            : "";
}
