using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Interop.Autograd;

/// <summary>
/// Carries a failed backward to the exception that the caller of <c>Tensor.backward()</c> catches.
/// </summary>
/// <remarks>
/// <para>
/// The failure cannot be thrown where it happens, inside a callback from the native engine. Instead the node returns
/// no gradients, the engine refuses that with a C++ error whose text is fixed ("Function CSharpNode returned an
/// invalid number of gradients - expected 2, but got 0"), TorchSharp's <c>backward</c> catches it and throws an
/// <see cref="ExternalException"/> with that text on the same thread. Before any handler sees that exception, a
/// first-chance handler replaces its message with the failure's and makes the <see cref="FunctionBackwardException"/>
/// its inner exception. The same happens when the engine refuses a gradient that a Function did return (a wrong
/// shape): the handler names the Function and the input, if the refused gradient is the one it returned.
/// </para>
/// <para>
/// The message and inner exception are private fields of <see cref="Exception"/>, set by reflection. Should a .NET
/// version rename them, the exception still carries the failure in <see cref="Exception.Data"/> under
/// <see cref="DataKey"/>, and the runtime's tests fail.
/// </para>
/// </remarks>
internal static partial class BackwardFailures
{
    /// <summary>The key under which a rewritten <see cref="ExternalException"/>'s data holds the failure.</summary>
    public const string DataKey = "Interop.Autograd.FunctionBackwardException";

    private static readonly FieldInfo? s_message = typeof(Exception).GetField("_message", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? s_innerException = typeof(Exception).GetField("_innerException", BindingFlags.Instance | BindingFlags.NonPublic);
    private static int s_hooked;

    [ThreadStatic] private static FunctionBackwardException? t_pending;

    /// <summary>Whether the running .NET lets the handler rewrite an exception's message.</summary>
    public static bool CanRewriteMessages => s_message is not null && s_innerException is not null;

    /// <summary>Records that <paramref name="function"/>'s backward failed with <paramref name="exception"/> on this thread.</summary>
    public static void Record(Function? function, Exception exception)
    {
        string name = function?.Name ?? "A Function";
        t_pending = exception as FunctionBackwardException
            ?? new FunctionBackwardException(name, $"{name}.backward threw {exception.GetType().Name}: {exception.Message}", exception);
    }

    /// <summary>The failure that an exception from <c>backward</c> carries, or null.</summary>
    public static FunctionBackwardException? CarriedBy(Exception exception) => exception.Data[DataKey] as FunctionBackwardException;

    /// <summary>Installs the first-chance handler once, when the first Function node is made.</summary>
    public static void EnsureHooked()
    {
        if (Interlocked.Exchange(ref s_hooked, 1) == 0)
            AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
    }

    private static void OnFirstChance(object? sender, FirstChanceExceptionEventArgs args)
    {
        if (args.Exception is not ExternalException external || !external.Message.StartsWith("Function CSharpNode returned an invalid", StringComparison.Ordinal))
            return;
        var failure = t_pending is { } pending && external.Message.Contains(", but got 0", StringComparison.Ordinal)
            ? pending
            : RefusedGradient(external.Message);
        t_pending = null;
        if (failure is null)
            return;
        external.Data[DataKey] = failure;
        s_message?.SetValue(external, failure.Message);
        s_innerException?.SetValue(external, failure);
    }

    /// <summary>
    /// The engine refused a gradient ("… invalid gradient at index 1 - got [3] but expected shape compatible with
    /// []"): if the last backward on this thread returned exactly that tensor for that input, it is the culprit.
    /// </summary>
    private static FunctionBackwardException? RefusedGradient(string message)
    {
        var match = RefusedGradientPattern().Match(message);
        if (!match.Success || ReturnedGradients.Function is not { } function)
            return null;
        int index = int.Parse(match.Groups["index"].Value);
        if (index >= function.InputNames.Count || ReturnedGradients.For(index) is not { IsInvalid: false } gradient)
            return null;
        string problem = match.Groups["problem"].Value.Trim();
        if (match.Groups["got"].Success && match.Groups["got"].Value != $"[{string.Join(", ", gradient.shape)}]")
            return null;
        return new FunctionBackwardException(function.Name,
            $"{function.Name}: backward returned a gradient for '{function.InputNames[index]}' that autograd refuses: {problem}.");
    }

    [GeneratedRegex(@"invalid gradient at index (?<index>\d+) - (?<problem>(got (?<got>\[[^\]]*\]))?[^\n]*)")]
    private static partial Regex RefusedGradientPattern();
}
