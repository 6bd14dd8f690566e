using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Interop.ML;

/// <summary>
/// The four things a trainer from outside ML.NET needs that ML.NET 5 keeps internal, each reached through the
/// narrowest member there is, in one place, with an error that names the member when a later ML.NET moves it.
/// </summary>
/// <remarks>
/// 1. The environment behind a trainer catalog (so that <c>mlContext.MulticlassClassification.Trainers.X()</c> logs to,
///    seeds from and is cancelled by the user's MLContext): catalogs expose it only through the internal
///    <c>IInternalCatalog.Environment</c>. The trainers' public constructors take the MLContext instead and need no reflection.
/// 2. Cancellation: <c>MLContext.CancelExecution</c> (what AutoML calls on a trial's time-out) sets the public
///    <c>IsCanceled</c> property of the environment's non-public host class, which ML.NET's own trainers read through the
///    internal <c>ICancelable</c>. No public member says a host was cancelled.
/// 3. <see cref="Microsoft.ML.TrainerInfo"/>, which <c>ITrainerEstimator.Info</c> must return, has only an internal constructor.
/// 4. A scalar regression Score in a saved model: ONNX outputs reach ML.NET as vectors, and no public stock transform turns
///    a vector of one into a scalar, so the regression trainer finishes its scoring chain with a stock
///    <c>RegressionPredictionTransformer</c> over a one-weight <c>LinearRegressionModelParameters</c> (weight 1, bias 0,
///    which is exact in float), whose constructors are internal. The saved zip holds only stock ML.NET components.
/// </remarks>
internal static class MlNetInternals
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly PropertyInfo? CatalogEnvironment =
        typeof(TrainCatalogBase).Assembly.GetType("Microsoft.ML.Data.IInternalCatalog")?.GetProperty("Environment");

    private static readonly ConcurrentDictionary<Type, PropertyInfo?> CanceledProperties = new();

    /// <summary>The host environment behind a trainer catalog.</summary>
    public static IHostEnvironment EnvironmentOf(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return CatalogEnvironment?.GetValue(catalog) as IHostEnvironment
            ?? throw Unsupported($"the environment behind {catalog.GetType().Name} (IInternalCatalog.Environment)",
                "construct the trainer with new EnergyClassifierTrainer(mlContext, options) or new ExponentialDecayTrainer(mlContext, options)");
    }

    /// <summary>Whether ML.NET has cancelled <paramref name="host"/> (MLContext.CancelExecution); false for a host that cannot be cancelled.</summary>
    public static bool IsCanceled(IHost host)
    {
        var property = CanceledProperties.GetOrAdd(host.GetType(), type => type.GetProperty("IsCanceled", BindingFlags.Instance | BindingFlags.Public));
        return property?.GetValue(host) is true;
    }

    /// <summary>A TrainerInfo with the given public properties; it says that training reads no validation set of ML.NET's kind.</summary>
    public static TrainerInfo TrainerInfo(bool needNormalization, bool wantCaching)
    {
        var constructor = typeof(TrainerInfo).GetConstructor(Instance, [typeof(bool), typeof(bool), typeof(bool), typeof(bool), typeof(bool), typeof(bool)])
            ?? throw Unsupported("TrainerInfo's constructor (normalization, calibration, caching, supportValid, supportIncrementalTrain, supportTest)", null);
        return (TrainerInfo)constructor.Invoke([needNormalization, false, wantCaching, false, false, false]);
    }

    /// <summary>
    /// The stock transformer that copies the single value of <paramref name="vectorColumn"/> (a vector of one Single) into a
    /// scalar Score column: a RegressionPredictionTransformer over LinearRegressionModelParameters with weight 1 and bias 0.
    /// </summary>
    public static ITransformer ScalarScore(IHostEnvironment environment, DataViewSchema inputSchema, string vectorColumn)
    {
        var parameters = typeof(LinearRegressionModelParameters).GetConstructor(Instance, [typeof(IHostEnvironment), typeof(VBuffer<float>).MakeByRefType(), typeof(float)])
            ?? throw Unsupported("LinearRegressionModelParameters(IHostEnvironment, in VBuffer<float>, float)", null);
        var model = (LinearRegressionModelParameters)parameters.Invoke([environment, new VBuffer<float>(1, [1f]), 0f]);
        var transformerType = typeof(RegressionPredictionTransformer<LinearRegressionModelParameters>);
        var transformer = transformerType.GetConstructor(Instance, [typeof(IHostEnvironment), typeof(LinearRegressionModelParameters), typeof(DataViewSchema), typeof(string)])
            ?? throw Unsupported("RegressionPredictionTransformer(IHostEnvironment, TModel, DataViewSchema, string)", null);
        return (ITransformer)transformer.Invoke([environment, model, inputSchema, vectorColumn]);
    }

    private static NotSupportedException Unsupported(string member, string? alternative) => new(
        $"This version of Microsoft.ML ({typeof(MLContext).Assembly.GetName().Version}) has no {member}; Interop.ML was built against Microsoft.ML 5.0" +
        (alternative is null ? "." : $". Instead, {alternative}."));
}
