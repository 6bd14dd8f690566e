using static TorchSharp.torch;

namespace Interop.Benchmarks;

/// <summary>
/// One way of recording y = x in the autograd graph without arithmetic: forward+backward through it is the fixed cost
/// that a kind of graph node adds to every call, the floor under any Function built that way. Add a line to
/// <see cref="All"/> for each custom-Function runtime to be measured: <c>bench --instructions</c> counts every entry.
/// </summary>
/// <param name="Name">How tables name it.</param>
/// <param name="Apply">y = x, recorded in the graph.</param>
public sealed record PassThrough(string Name, Func<Tensor, Tensor> Apply)
{
    /// <summary>libtorch's own view node (<c>alias</c>), no custom Function: the floor of <c>autograd.grad</c> itself.</summary>
    public static PassThrough BuiltInAlias { get; } = new("built-in alias", x => x.alias());

    /// <summary>Interop's runtime (<see cref="PassThroughFunction"/>), on which the hand-written Functions are built.</summary>
    public static PassThrough Runtime { get; } = new("Interop.Autograd Function", x => PassThroughFunction.apply(x));

    /// <summary>
    /// TorchSharp's <c>autograd.Function&lt;T&gt;</c> (<see cref="TorchSharpPassThroughFunction"/>), on which the
    /// Functions ran before the runtime: for reference.
    /// </summary>
    public static PassThrough TorchSharpFunction { get; } = new("TorchSharp Function<T>", x => TorchSharpPassThroughFunction.apply(x));

    /// <summary>
    /// The pass-through whose time over the twin's is <c>bench</c>'s floor column: the node type the hand-written
    /// Functions are built on.
    /// </summary>
    public static PassThrough Floor => Runtime;

    /// <summary>Every pass-through that <c>bench --instructions</c> counts.</summary>
    public static IReadOnlyList<PassThrough> All { get; } = [BuiltInAlias, Runtime, TorchSharpFunction];
}
