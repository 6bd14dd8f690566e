namespace Interop.ML;

/// <summary>The optimizer that a trainer updates the module's parameters with.</summary>
public enum TrainingOptimizer
{
    /// <summary>Plain stochastic gradient descent.</summary>
    Sgd,

    /// <summary>Adam (Kingma and Ba, 2015).</summary>
    Adam,

    /// <summary>Full-batch L-BFGS with a backtracking line search, one iteration per epoch; needs every training row in one batch.</summary>
    Lbfgs,
}
