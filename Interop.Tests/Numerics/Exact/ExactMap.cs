namespace Interop.Tests.Numerics.Exact;

/// <summary>
/// One of the five maps of the problem set, written once, straight from its definition, on hyper-dual numbers, and
/// differentiated by evaluating it (see <see cref="HyperDual"/>): nothing here is a derivative worked out by hand, and
/// nothing is shared with Interop's Functions.
/// </summary>
/// <param name="Name">As in <c>Interop.Reference.ModuleMap</c>: Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum.</param>
/// <param name="ParameterIsVector">True for K (one parameter per column), false for β and k.</param>
/// <param name="ReducesRow">True when a row of x gives one output (LogSum), false when it gives one per entry.</param>
/// <param name="Row">The map on one row of x (the last dimension) and the parameter.</param>
public sealed record ExactMap(string Name, bool ParameterIsVector, bool ReducesRow, Func<HyperDual[], HyperDual[], HyperDual[]> Row)
{
    /// <summary>y = exp(−β x).</summary>
    public static ExactMap Exponential { get; } = new("Exponential", false, false,
        (x, beta) => [.. x.Select(xi => HyperDual.Exp(-beta[0] * xi))]);

    /// <summary>y_i = k_i x_i.</summary>
    public static ExactMap ComponentScaling { get; } = new("ComponentScaling", true, false,
        (x, k) => [.. x.Select((xi, i) => k[i] * xi)]);

    /// <summary>y_i = k x_i.</summary>
    public static ExactMap GlobalScaling { get; } = new("GlobalScaling", false, false,
        (x, k) => [.. x.Select(xi => k[0] * xi)]);

    /// <summary>y_i = exp(−β x_i) / Σ_j exp(−β x_j).</summary>
    public static ExactMap Softmax { get; } = new("Softmax", false, false, (x, beta) =>
    {
        var z = x.Select(xi => -beta[0] * xi).ToArray();
        var m = Shift(z);
        var weights = z.Select(zi => HyperDual.Exp(zi - m)).ToArray();
        var total = Sum(weights);
        return [.. weights.Select(w => w / total)];
    });

    /// <summary>y = −(1/β) log Σ_j exp(−β x_j).</summary>
    public static ExactMap LogSum { get; } = new("LogSum", false, true, (x, beta) =>
    {
        var z = x.Select(xi => -beta[0] * xi).ToArray();
        var m = Shift(z);
        var logSumExp = m + HyperDual.Log(Sum(z.Select(zj => HyperDual.Exp(zj - m))));
        return [-logSumExp / beta[0]];
    });

    /// <summary>The five maps, in the problem set's order.</summary>
    public static IReadOnlyList<ExactMap> All { get; } = [Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum];

    /// <summary>The map with this name.</summary>
    public static ExactMap Named(string name) =>
        All.SingleOrDefault(map => map.Name == name) ?? throw new ArgumentException($"No exact map is named '{name}'.", nameof(name));

    /// <summary>
    /// The largest z, as a constant. e^(z_i)/Σ_j e^(z_j) = e^(z_i − m)/Σ_j e^(z_j − m) and log Σ_j e^(z_j) =
    /// m + log Σ_j e^(z_j − m) hold for every constant m, so their derivatives agree too; this m keeps every
    /// exponent at or below 0, where exp cannot overflow.
    /// </summary>
    private static HyperDual Shift(HyperDual[] z) => HyperDual.Constant(z.Select(zi => zi.Value).Aggregate(BigFloat.Max));

    private static HyperDual Sum(IEnumerable<HyperDual> terms) => terms.Aggregate((a, b) => a + b);

    /// <summary>
    /// y, ∂E/∂x, ∂E/∂p and the second-order quantities (see <see cref="Quantity"/>) at the current
    /// <see cref="BigFloat.Precision"/>. The rows are independent except for the parameter, whose derivatives
    /// add up over the rows.
    /// </summary>
    /// <remarks>
    /// For each coordinate θ_c of (row of x, p), the row is evaluated at θ + e_c ε₁ + (v, w) ε₂. Then E's ε₁ part is
    /// ∂E/∂θ_c, its ε₁ε₂ part is the c-th entry of the Hessian of E times (v, w), and y's ε₂ part is the directional
    /// derivative of y along (v, w), which is ∂S/∂g.
    /// </remarks>
    public ExactQuantities Evaluate(MapInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int rows = inputs.Rows, columns = inputs.Columns;
        int parameters = inputs.Parameter.Length;
        int outputsPerRow = ReducesRow ? 1 : columns;
        var result = new ExactQuantities(
            Output: new BigFloat[rows * outputsPerRow],
            GradX: new BigFloat[rows * columns],
            GradParameter: new BigFloat[parameters],
            SecondX: new BigFloat[rows * columns],
            SecondParameter: new BigFloat[parameters],
            SecondUpstream: new BigFloat[rows * outputsPerRow]);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns + parameters; c++)
            {
                var x = new HyperDual[columns];
                for (int j = 0; j < columns; j++)
                    x[j] = new HyperDual(inputs.X[r * columns + j], c == j ? 1.0 : 0.0, inputs.DirectionX[r * columns + j], BigFloat.Zero);
                var p = new HyperDual[parameters];
                for (int k = 0; k < parameters; k++)
                    p[k] = new HyperDual(inputs.Parameter[k], c == columns + k ? 1.0 : 0.0, inputs.DirectionParameter[k], BigFloat.Zero);

                var y = Row(x, p);
                var energy = HyperDual.Constant(BigFloat.Zero);
                for (int i = 0; i < outputsPerRow; i++)
                    energy += HyperDual.Constant(inputs.Upstream[r * outputsPerRow + i]) * y[i];

                if (c == 0)
                    for (int i = 0; i < outputsPerRow; i++)
                    {
                        result.Output[r * outputsPerRow + i] = y[i].Value;
                        result.SecondUpstream[r * outputsPerRow + i] = y[i].E2;
                    }
                if (c < columns)
                {
                    result.GradX[r * columns + c] = energy.E1;
                    result.SecondX[r * columns + c] = energy.E12;
                }
                else
                {
                    result.GradParameter[c - columns] += energy.E1;
                    result.SecondParameter[c - columns] += energy.E12;
                }
            }
        }
        return result;
    }
}

/// <summary>
/// A map's inputs, flattened row by row: x is Rows × Columns (Columns is the last dimension, 1 for a 0-d x), the
/// parameter has one entry (β, k) or Columns entries (K), the upstream gradient g has one entry per output, and
/// (DirectionX, DirectionParameter) = (v, w) is the direction of the second-order products.
/// </summary>
public sealed record MapInputs(int Rows, int Columns, BigFloat[] X, BigFloat[] Parameter, BigFloat[] Upstream, BigFloat[] DirectionX, BigFloat[] DirectionParameter);

/// <summary>The exact values of every <see cref="Quantity"/>, flattened like <see cref="MapInputs"/>.</summary>
public sealed record ExactQuantities(
    BigFloat[] Output, BigFloat[] GradX, BigFloat[] GradParameter, BigFloat[] SecondX, BigFloat[] SecondParameter, BigFloat[] SecondUpstream)
{
    public BigFloat[] this[Quantity quantity] => quantity switch
    {
        Quantity.Output => Output,
        Quantity.GradX => GradX,
        Quantity.GradParameter => GradParameter,
        Quantity.SecondX => SecondX,
        Quantity.SecondParameter => SecondParameter,
        _ => SecondUpstream,
    };
}
