namespace Interop.Autograd;

/// <summary>
/// A <see cref="Function"/>'s backward failed: it threw (<see cref="Exception.InnerException"/> is what it threw), a
/// tensor it saved was modified in place after forward, its saved tensors were already freed by an earlier backward,
/// or it returned a gradient autograd cannot use. The message names the Function and says why.
/// </summary>
/// <remarks>
/// <c>Interop.Checking.SafeAutograd.grad</c> throws it. <c>Tensor.backward()</c> throws TorchSharp's
/// <c>ExternalException</c> instead, with this exception's message and with this exception as its inner exception.
/// </remarks>
public sealed class FunctionBackwardException : Exception
{
    /// <summary>Creates the exception for the Function named <paramref name="functionName"/>.</summary>
    public FunctionBackwardException(string functionName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FunctionName = functionName;
    }

    /// <summary>The name of the Function whose backward failed.</summary>
    public string FunctionName { get; }
}
