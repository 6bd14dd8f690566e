using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Interop.Autograd;

/// <summary>
/// The native entry points the runtime calls: LibTorchSharp's exported custom-node functions (the ones TorchSharp's
/// own <c>autograd.Function&lt;T&gt;</c> uses, undocumented, so pinned to <see cref="SupportedTorchSharp"/>) and one
/// function of libtorch's engine. They are resolved once from the very library TorchSharp loaded, through
/// TorchSharp's own DllImport resolution, so a weakened copy or any other library that Interop.Native handed to
/// TorchSharp is the one used here too.
/// </summary>
/// <remarks>
/// Signatures, from TorchSharp 0.107.0's <c>src/Native/LibTorchSharp/THSAutograd.h</c>:
/// <code>
/// CSharpNodePtr THSAutograd_CSharpNode_ctor(TensorArray (*apply)(Tensor*, int), void (*deleteNode)())
/// void THSAutograd_CSharpNode_setNextEdges(CSharpNodePtr, TensorArray inputs, bool isExecutable)
/// void THSAutograd_Function_wrapOutputs(TensorArray inputs, TensorArray nonDiff, TensorArray dirty, TensorArray outputs, CSharpNodePtr, Tensor* (*allocate)(size_t))
/// void THSAutograd_CSharpNode_disposeSharedPtr(CSharpNodePtr) / _disposeWeakPtr(CSharpNodePtr)
/// SavedVariable THSAutograd_SavedVariable_ctor(Tensor, CSharpNodePtr, bool isInplaceOnView)
/// Tensor THSAutograd_SavedVariable_unpack(SavedVariable, CSharpNodePtr savedFor) / void _dispose(SavedVariable)
/// void THSTensor_dispose(Tensor)
/// </code>
/// and <c>bool torch::autograd::get_current_graph_task_keep_graph()</c> from libtorch_cpu, which says inside a
/// backward whether the graph is retained. Every LibTorchSharp function here catches C++ exceptions and leaves the
/// message for <see cref="TakeLastError"/>.
/// </remarks>
internal static unsafe class NativeAutograd
{
    /// <summary>The TorchSharp version whose native entry points these are.</summary>
    public static readonly Version SupportedTorchSharp = new(0, 107, 0, 0);

    /// <summary>libtorch's engine query, by the C++ name each platform's compiler gives it.</summary>
    private static readonly string KeepGraphSymbol = OperatingSystem.IsWindows()
        ? "?get_current_graph_task_keep_graph@autograd@torch@@YA_NXZ"
        : "_ZN5torch8autograd33get_current_graph_task_keep_graphEv";

    public static readonly delegate* unmanaged[Cdecl]<IntPtr, IntPtr, NodeHandle> NodeCreate;
    public static readonly delegate* unmanaged[Cdecl]<NodeHandle, TensorArray, byte, void> NodeSetNextEdges;
    public static readonly delegate* unmanaged[Cdecl]<TensorArray, TensorArray, TensorArray, TensorArray, NodeHandle, delegate* unmanaged[Cdecl]<nuint, IntPtr*>, void> WrapOutputs;
    public static readonly delegate* unmanaged[Cdecl]<NodeHandle, void> NodeReleaseStrong;
    public static readonly delegate* unmanaged[Cdecl]<NodeHandle, void> NodeReleaseWeak;
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, NodeHandle, byte, IntPtr> SavedVariableCreate;
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, NodeHandle, IntPtr> SavedVariableUnpack;
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, void> SavedVariableDispose;
    public static readonly delegate* unmanaged[Cdecl]<IntPtr, void> TensorDispose;
    public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte> IsGradEnabled;
    public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte, void> SetGradEnabled;
    public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, byte> RequiresGrad;
    public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr> GetAndResetLastError;
    public static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte> KeepGraph;

    /// <summary>Why the entry points could not be resolved, or null when they were.</summary>
    public static readonly string? UnavailableReason;

    static NativeAutograd()
    {
        try
        {
            var torchSharp = typeof(torch).Assembly;
            var version = torchSharp.GetName().Version;
            if (version != SupportedTorchSharp)
                throw new NotSupportedException($"the loaded TorchSharp is {version}");
            Native.TorchNativeLoader.EnsureLoaded();
            IntPtr library = NativeLibrary.Load("LibTorchSharp", torchSharp, null);
            NodeCreate = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr, NodeHandle>)Export(library, "THSAutograd_CSharpNode_ctor");
            NodeSetNextEdges = (delegate* unmanaged[Cdecl]<NodeHandle, TensorArray, byte, void>)Export(library, "THSAutograd_CSharpNode_setNextEdges");
            WrapOutputs = (delegate* unmanaged[Cdecl]<TensorArray, TensorArray, TensorArray, TensorArray, NodeHandle, delegate* unmanaged[Cdecl]<nuint, IntPtr*>, void>)Export(library, "THSAutograd_Function_wrapOutputs");
            NodeReleaseStrong = (delegate* unmanaged[Cdecl]<NodeHandle, void>)Export(library, "THSAutograd_CSharpNode_disposeSharedPtr");
            NodeReleaseWeak = (delegate* unmanaged[Cdecl]<NodeHandle, void>)Export(library, "THSAutograd_CSharpNode_disposeWeakPtr");
            SavedVariableCreate = (delegate* unmanaged[Cdecl]<IntPtr, NodeHandle, byte, IntPtr>)Export(library, "THSAutograd_SavedVariable_ctor");
            SavedVariableUnpack = (delegate* unmanaged[Cdecl]<IntPtr, NodeHandle, IntPtr>)Export(library, "THSAutograd_SavedVariable_unpack");
            SavedVariableDispose = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(library, "THSAutograd_SavedVariable_dispose");
            TensorDispose = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(library, "THSTensor_dispose");
            IsGradEnabled = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte>)Export(library, "THSAutograd_isGradEnabled");
            SetGradEnabled = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte, void>)Export(library, "THSAutograd_setGrad");
            RequiresGrad = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr, byte>)Export(library, "THSTensor_requires_grad");
            GetAndResetLastError = (delegate* unmanaged[Cdecl, SuppressGCTransition]<IntPtr>)Export(library, "THSTorch_get_and_reset_last_err");
            KeepGraph = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte>)Export(KeepGraphLibrary(library), KeepGraphSymbol);
        }
        catch (Exception e) when (e is NotSupportedException or EntryPointNotFoundException or DllNotFoundException or InvalidOperationException)
        {
            UnavailableReason =
                $"Interop's autograd runtime calls TorchSharp {SupportedTorchSharp.ToString(3)}'s native autograd entry points, and cannot here: {e.Message}. " +
                $"Reference TorchSharp {SupportedTorchSharp.ToString(3)} exactly (the Interop package pins it).";
        }
    }

    /// <summary>Throws, naming the cause, when the entry points are not available in this process.</summary>
    public static void EnsureAvailable()
    {
        if (UnavailableReason is not null)
            throw new InvalidOperationException(UnavailableReason);
    }

    /// <summary>The error message LibTorchSharp left from its last call on this thread, or null; clears it.</summary>
    public static string? TakeLastError()
    {
        IntPtr error = GetAndResetLastError();
        return error == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(error);
    }

    /// <summary>
    /// On ELF and Mach-O platforms a symbol lookup in LibTorchSharp's handle also searches the libraries it depends on,
    /// libtorch_cpu among them; on Windows it has to be asked of torch_cpu itself, which TorchSharp has loaded by now.
    /// </summary>
    private static IntPtr KeepGraphLibrary(IntPtr libTorchSharp) =>
        OperatingSystem.IsWindows() ? NativeLibrary.Load("torch_cpu", typeof(torch).Assembly, DllImportSearchPath.SafeDirectories) : libTorchSharp;

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address)
            ? address
            : throw new EntryPointNotFoundException($"the native library does not export '{name}'");
}

/// <summary>LibTorchSharp's <c>CSharpNodePtr</c>: heap-allocated shared and weak pointers to one graph node.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NodeHandle
{
    public IntPtr Strong;
    public IntPtr Weak;

    /// <summary>The same node, through its weak pointer only (what saved variables are given).</summary>
    public readonly NodeHandle WeakOnly => new() { Weak = Weak };
}

/// <summary>LibTorchSharp's <c>TensorArray</c>: a pointer to <c>at::Tensor*</c> handles and their count.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TensorArray
{
    public IntPtr* Items;
    public long Count;

    public TensorArray(IntPtr* items, long count)
    {
        Items = items;
        Count = count;
    }
}
