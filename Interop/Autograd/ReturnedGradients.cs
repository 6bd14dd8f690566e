using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>
/// The gradients that the last backward on this thread returned to the engine. LibTorchSharp copies each returned
/// tensor only after the callback has returned, so the runtime's own handles to them must outlive the callback; they
/// are released at the next backward on the same thread, which is the earliest moment known to be after the copy.
/// So at most one backward's gradients are held per thread. They also say, when the engine refuses a gradient, which
/// Function returned it (see <see cref="BackwardFailures"/>).
/// </summary>
internal static class ReturnedGradients
{
    [ThreadStatic] private static Tensor?[]? t_byInput;
    [ThreadStatic] private static Tensor[]? t_owned;
    [ThreadStatic] private static int t_ownedCount;
    [ThreadStatic] private static Function? t_function;

    /// <summary>The Function whose backward returned the gradients now held, or null.</summary>
    public static Function? Function => t_function;

    /// <summary>The gradient returned for input <paramref name="index"/>, while it is held.</summary>
    public static Tensor? For(int index) => t_byInput is { } byInput && index < byInput.Length ? byInput[index] : null;

    /// <summary>Starts recording the gradients of one backward of <paramref name="function"/>.</summary>
    public static void Begin(Function function)
    {
        t_function = function;
        int inputs = function.InputNames.Count;
        if (t_byInput is null || t_byInput.Length < inputs)
            t_byInput = new Tensor?[inputs];
        t_owned ??= new Tensor[4];
    }

    /// <summary>
    /// Records <paramref name="gradient"/> as returned for input <paramref name="index"/>. When the runtime or backward
    /// made it (<paramref name="owned"/>), it is held until the next release; any other tensor belongs to someone else,
    /// who keeps it alive.
    /// </summary>
    public static void Add(int index, Tensor gradient, bool owned)
    {
        t_byInput![index] = gradient;
        if (!owned)
            return;
        for (int i = 0; i < t_ownedCount; i++)
            if (ReferenceEquals(t_owned![i], gradient))
                return;
        if (t_ownedCount == t_owned!.Length)
            Array.Resize(ref t_owned, t_ownedCount * 2);
        t_owned[t_ownedCount++] = gradient;
    }

    /// <summary>Whether <paramref name="tensor"/> is among the gradients now held.</summary>
    public static bool Holds(Tensor tensor)
    {
        for (int i = 0; i < t_ownedCount; i++)
            if (ReferenceEquals(t_owned![i], tensor))
                return true;
        return false;
    }

    /// <summary>Disposes the handles held from the previous backward on this thread.</summary>
    public static void Release()
    {
        if (t_function is null)
            return;
        for (int i = 0; i < t_ownedCount; i++)
        {
            t_owned![i].Dispose();
            t_owned[i] = null!;
        }
        t_ownedCount = 0;
        Array.Clear(t_byInput!);
        t_function = null;
    }
}
