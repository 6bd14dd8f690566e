namespace Interop.Tests.Numerics.Grid;

/// <summary>How a quantity is obtained from a Function through the public API.</summary>
public enum GradientPath
{
    /// <summary>y from <c>apply</c>.</summary>
    Forward,

    /// <summary>A plain backward (no create_graph): the Functions' in-place path.</summary>
    Plain,

    /// <summary>Backward with create_graph: the Functions' recorded path, which second order differentiates again.</summary>
    Recorded,
}

/// <summary>A quantity together with the path it is read from: what the grid measures and the goals judge.</summary>
public readonly record struct Measure(Quantity Quantity, GradientPath Path)
{
    /// <summary>y; both gradients on both paths; the three second-order quantities (recorded, necessarily).</summary>
    public static IReadOnlyList<Measure> All { get; } =
    [
        new(Quantity.Output, GradientPath.Forward),
        new(Quantity.GradX, GradientPath.Plain), new(Quantity.GradX, GradientPath.Recorded),
        new(Quantity.GradParameter, GradientPath.Plain), new(Quantity.GradParameter, GradientPath.Recorded),
        new(Quantity.SecondX, GradientPath.Recorded), new(Quantity.SecondParameter, GradientPath.Recorded), new(Quantity.SecondUpstream, GradientPath.Recorded),
    ];

    public int Order => Quantity.Order();

    public string PathName => Path switch
    {
        GradientPath.Forward => "forward",
        GradientPath.Plain => "plain",
        _ => "create_graph",
    };

    /// <summary>For example "dE/dbeta plain".</summary>
    public string Name(string parameterName) => $"{Quantity.Name(parameterName)} {PathName}";
}
