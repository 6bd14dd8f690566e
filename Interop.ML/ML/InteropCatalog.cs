using Microsoft.ML;

namespace Interop.ML;

/// <summary>The trainers of this library, reached from ML.NET's catalogs.</summary>
public static class InteropCatalog
{
    /// <summary>
    /// The energy-based multiclass classifier: class prototypes μ, a learned metric K (ComponentScaling) and
    /// posteriors Softmax_β over the energies Σ_i (k_i (x_i − μ_ci))², with β learned too.
    /// </summary>
    /// <param name="catalog">mlContext.MulticlassClassification.Trainers.</param>
    /// <param name="labelColumnName">The label column, of a key type.</param>
    /// <param name="featureColumnName">The feature column, a known-size vector of Single or Double.</param>
    /// <param name="numberOfEpochs">Passes over the training data, at most.</param>
    /// <param name="learningRate">The optimizer's learning rate; null for the optimizer's default.</param>
    public static EnergyClassifierTrainer EnergyClassifier(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int numberOfEpochs = 100, double? learningRate = null) =>
        EnergyClassifier(catalog, new EnergyClassifierTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            NumberOfEpochs = numberOfEpochs,
            LearningRate = learningRate,
        });

    /// <summary>The energy-based multiclass classifier, with every option.</summary>
    /// <param name="catalog">mlContext.MulticlassClassification.Trainers.</param>
    /// <param name="options">The trainer's options.</param>
    public static EnergyClassifierTrainer EnergyClassifier(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        EnergyClassifierTrainer.Options options) => new(MlNetInternals.EnvironmentOf(catalog), options);

    /// <summary>The decay curve y = k · exp(−β x) (Exponential, then GlobalScaling), fitted by least squares.</summary>
    /// <param name="catalog">mlContext.Regression.Trainers.</param>
    /// <param name="labelColumnName">The label column y, Single or Double.</param>
    /// <param name="featureColumnName">The feature column x, a Single or Double scalar or a vector of one.</param>
    /// <param name="numberOfEpochs">Passes over the training data, at most.</param>
    /// <param name="learningRate">The optimizer's learning rate; null for the optimizer's default.</param>
    public static ExponentialDecayTrainer ExponentialDecay(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int numberOfEpochs = 100, double? learningRate = null) =>
        ExponentialDecay(catalog, new ExponentialDecayTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            NumberOfEpochs = numberOfEpochs,
            LearningRate = learningRate,
        });

    /// <summary>The decay curve y = k · exp(−β x), with every option.</summary>
    /// <param name="catalog">mlContext.Regression.Trainers.</param>
    /// <param name="options">The trainer's options.</param>
    public static ExponentialDecayTrainer ExponentialDecay(this RegressionCatalog.RegressionTrainers catalog, ExponentialDecayTrainer.Options options) =>
        new(MlNetInternals.EnvironmentOf(catalog), options);
}
