namespace Interop.Tests.Numerics;

/// <summary>
/// What is compared for a map y = f(x, p) with upstream gradient g, E = Σ g·y, and a direction (v, w) for x and p.
/// The second-order ones are what gradgradcheck and create_graph exercise: the gradients of
/// S = ⟨∂E/∂x, v⟩ + ⟨∂E/∂p, w⟩, that is, the Hessian of E times (v, w), and ∂S/∂g = (∂y/∂x) v + (∂y/∂p) w.
/// </summary>
public enum Quantity
{
    /// <summary>y.</summary>
    Output,

    /// <summary>∂E/∂x.</summary>
    GradX,

    /// <summary>∂E/∂p (β, k or K).</summary>
    GradParameter,

    /// <summary>∂S/∂x.</summary>
    SecondX,

    /// <summary>∂S/∂p.</summary>
    SecondParameter,

    /// <summary>∂S/∂g.</summary>
    SecondUpstream,
}

/// <summary>Names and orders of <see cref="Quantity"/> values.</summary>
public static class Quantities
{
    public static IReadOnlyList<Quantity> All { get; } = Enum.GetValues<Quantity>();

    /// <summary>0 for y, 1 for the gradients, 2 for the derivatives of the gradients.</summary>
    public static int Order(this Quantity quantity) => quantity switch
    {
        Quantity.Output => 0,
        Quantity.GradX or Quantity.GradParameter => 1,
        _ => 2,
    };

    /// <summary>A short ASCII name: y, dE/dx, dE/dbeta, d2/dx, d2/dbeta, d2/dg (with the map's parameter name).</summary>
    public static string Name(this Quantity quantity, string parameterName) => quantity switch
    {
        Quantity.Output => "y",
        Quantity.GradX => "dE/dx",
        Quantity.GradParameter => $"dE/d{parameterName}",
        Quantity.SecondX => "d2/dx",
        Quantity.SecondParameter => $"d2/d{parameterName}",
        _ => "d2/dg",
    };
}
