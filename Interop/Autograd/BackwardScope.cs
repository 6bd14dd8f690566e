using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>
/// The dispose scope that a backward runs in: every tensor that backward makes is registered in it and disposed when
/// backward returns, except the gradients it hands back. It is TorchSharp's own <see cref="DisposeScope"/>, but one
/// per thread and nesting depth, made once and re-entered on every backward, because a new scope per call
/// (<c>torch.NewDisposeScope()</c>) allocates two hash sets and costs more than a small backward's arithmetic.
/// </summary>
/// <remarks>
/// Re-entering a scope needs TorchSharp 0.107's internal members (the thread's scope manager, its current scope, a
/// scope's set of disposables and outer scope, a tensor's owning scope), reached with <see cref="UnsafeAccessorAttribute"/>;
/// the runtime is pinned to that TorchSharp, and its tests exercise every member here.
/// </remarks>
internal static class BackwardScope
{
    [ThreadStatic] private static List<DisposeScope>? t_scopes;
    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static IDisposable[]? t_toDispose;

    /// <summary>Makes this thread's scope for the current depth the current one; pair with <see cref="Exit"/>.</summary>
    public static DisposeScope Enter()
    {
        var scopes = t_scopes ??= [];
        var manager = ThreadSingleton(null);
        if (t_depth == scopes.Count)
        {
            var made = NewDisposeScope();
            SetCurrentDisposeScope(manager, GetOuterScope(made));
            scopes.Add(made);
        }
        var scope = scopes[t_depth++];
        SetOuterScope(scope, GetCurrentDisposeScope(manager));
        SetCurrentDisposeScope(manager, scope);
        return scope;
    }

    /// <summary>Restores the caller's current scope and disposes what backward left in <paramref name="scope"/>.</summary>
    public static void Exit(DisposeScope scope)
    {
        t_depth--;
        SetCurrentDisposeScope(ThreadSingleton(null), GetOuterScope(scope));
        SetOuterScope(scope, null);
        var disposables = GetDisposables(scope);
        int count = disposables.Count;
        if (count == 0)
            return;
        var toDispose = t_toDispose is { } buffer && buffer.Length >= count ? buffer : t_toDispose = new IDisposable[Math.Max(count, 16)];
        disposables.CopyTo(toDispose);
        disposables.Clear();
        for (int i = 0; i < count; i++)
        {
            toDispose[i].Dispose();
            toDispose[i] = null!;
        }
    }

    /// <summary>Takes <paramref name="tensor"/> out of <paramref name="scope"/> if it is there; true when it was.</summary>
    public static bool Release(DisposeScope scope, Tensor tensor)
    {
        if (!GetDisposables(scope).Remove(tensor))
            return false;
        SetOwningDisposeScope(tensor, null);
        return true;
    }

    /// <summary>A wrapper for a native tensor handle that belongs to no dispose scope: its owner disposes it.</summary>
    public static Tensor Unscoped(IntPtr handle) => NewTensor(handle, register: false);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "get_ThreadSingleton")]
    private static extern DisposeScopeManager ThreadSingleton(DisposeScopeManager? manager);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_CurrentDisposeScope")]
    private static extern DisposeScope? GetCurrentDisposeScope(DisposeScopeManager manager);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_CurrentDisposeScope")]
    private static extern void SetCurrentDisposeScope(DisposeScopeManager manager, DisposeScope? scope);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_OuterScope")]
    private static extern DisposeScope? GetOuterScope(DisposeScope scope);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_OuterScope")]
    private static extern void SetOuterScope(DisposeScope scope, DisposeScope? outer);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Disposables")]
    private static extern HashSet<IDisposable> GetDisposables(DisposeScope scope);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_OwningDisposeScope")]
    private static extern void SetOwningDisposeScope(Tensor tensor, DisposeScope? scope);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern Tensor NewTensor(IntPtr handle, bool register);
}
