using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Autograd;

/// <summary>
/// One call's node in the autograd graph: LibTorchSharp's native <c>CSharpNode</c>, whose backward calls back into
/// <see cref="OnApply"/>, and the call's state (the Function, which inputs need gradients, the saved variables).
/// </summary>
/// <remarks>
/// <para>
/// Nodes are pooled. Each owns its two callbacks, marshalled to native function pointers once, and every node ever
/// made stays rooted in <see cref="s_all"/>, so that native code can never call a collected delegate. A node returns
/// to the pool when libtorch deletes its native node (<see cref="OnDelete"/>), on whichever thread drops the last
/// reference to it.
/// </para>
/// <para>
/// A managed exception must never unwind into the native engine: that ends the process. <see cref="OnApply"/> catches
/// everything, records it (<see cref="BackwardFailures"/>) and returns no gradients at all, a count that the engine's
/// own output validation refuses with a C++ exception, which <c>Tensor.backward()</c> catches and rethrows as
/// TorchSharp's <c>ExternalException</c>.
/// </para>
/// </remarks>
internal sealed unsafe partial class GraphNode
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate TensorArray ApplyCallback(IntPtr* gradOutputs, int count);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void DeleteCallback();

    private static readonly List<GraphNode> s_all = [];
    private static readonly Stack<GraphNode> s_free = new();

    /// <summary>The output handles that <c>wrapOutputs</c> writes, per thread (one output, so one slot).</summary>
    [ThreadStatic] private static IntPtr* t_outputs;

    private readonly ApplyCallback _apply;
    private readonly DeleteCallback _delete;
    private readonly IntPtr _applyPointer;
    private readonly IntPtr _deletePointer;
    private readonly Lock _backwardLock = new();

    private Function? _function;
    private NodeHandle _native;
    private bool[] _needsGrad = new bool[2];
    private int _inputCount;

    private Tensor[] _toSave = new Tensor[4];
    private int _toSaveCount = -1;
    private IntPtr[] _saved = new IntPtr[4];
    private int[] _savedRole = new int[4];
    private int _savedCount;
    private bool _released;

    private bool _inBackward;
    private Tensor[] _unpacked = new Tensor[4];
    private int _unpackedCount;
    private Tensor?[] _gradients = new Tensor?[2];
    private IntPtr* _gradientHandles = (IntPtr*)NativeMemory.Alloc(2, (nuint)sizeof(IntPtr));
    private int _gradientCapacity = 2;

    private GraphNode()
    {
        _apply = OnApply;
        _delete = OnDelete;
        _applyPointer = Marshal.GetFunctionPointerForDelegate(_apply);
        _deletePointer = Marshal.GetFunctionPointerForDelegate(_delete);
        Context = new FunctionContext(this);
        BackwardFailures.EnsureHooked();
    }

    /// <summary>The context that this node's forward and backward see.</summary>
    public FunctionContext Context { get; }

    /// <summary>Whether autograd records the backward that is running (create_graph).</summary>
    public bool CreateGraph { get; private set; }

    /// <summary>How many nodes exist (in use or pooled): the peak number of calls alive at once.</summary>
    internal static int Created
    {
        get
        {
            lock (s_all)
                return s_all.Count;
        }
    }

    /// <summary>Runs <paramref name="function"/> on checked inputs, recording a node when one is needed.</summary>
    public static Tensor Apply(Function function, ReadOnlySpan<Tensor> inputs)
    {
        NativeAutograd.EnsureAvailable();
        bool gradMode = NativeAutograd.IsGradEnabled() != 0;
        Span<bool> needsGrad = stackalloc bool[inputs.Length];
        bool anyNeedsGrad = false;
        if (gradMode)
            for (int i = 0; i < inputs.Length; i++)
                anyNeedsGrad |= needsGrad[i] = NativeAutograd.RequiresGrad(inputs[i].Handle) != 0;
        if (!anyNeedsGrad)
            return gradMode ? ForwardWithoutGrad(function, inputs) : RequireOutput(function, function.Forward(FunctionContext.NotRecording, inputs));

        var node = Rent(function, needsGrad);
        IntPtr* handles = stackalloc IntPtr[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            handles[i] = inputs[i].Handle;
        var inputArray = new TensorArray(handles, inputs.Length);
        NativeAutograd.NodeSetNextEdges(node._native, inputArray, 1);

        Tensor raw;
        NativeAutograd.SetGradEnabled(0);
        try
        {
            node._toSaveCount = 0;
            raw = RequireOutput(function, function.Forward(node.Context, inputs));
        }
        catch
        {
            NativeAutograd.SetGradEnabled(1);
            node.Abandon();
            throw;
        }
        NativeAutograd.SetGradEnabled(1);

        IntPtr rawHandle = raw.Handle;
        if (t_outputs == null)
            t_outputs = (IntPtr*)NativeMemory.Alloc(1, (nuint)sizeof(IntPtr));
        t_outputs[0] = IntPtr.Zero;
        NativeAutograd.WrapOutputs(inputArray, default, default, new TensorArray(&rawHandle, 1), node._native, &AllocateOutputs);
        IntPtr wrapped = t_outputs[0];
        if (wrapped == IntPtr.Zero)
        {
            string cause = FirstLine(NativeAutograd.TakeLastError());
            node.Abandon();
            throw new InvalidOperationException($"{function.Name}: autograd could not record the output of forward: {cause}");
        }
        // autograd records the output's history on its TensorImpl, so unless forward returned an input (which autograd
        // replaced by a view of it) the wrapped handle is the same tensor as forward's: keep forward's wrapper, which
        // already belongs to the caller's dispose scope. (An at::Tensor is a single pointer to its TensorImpl.)
        bool sameTensor = *(IntPtr*)wrapped == *(IntPtr*)rawHandle;
        var output = sameTensor ? raw : Tensor.UnsafeCreateTensor(wrapped);
        if (sameTensor)
            NativeAutograd.TensorDispose(wrapped);
        string? saveError = node.CommitSaves(raw, output, inputs);
        NativeAutograd.NodeReleaseStrong(node._native);
        node._native.Strong = IntPtr.Zero;
        if (!sameTensor && !IsInput(raw, inputs))
            raw.Dispose();
        if (saveError is not null)
        {
            output.Dispose();
            throw new InvalidOperationException($"{function.Name}: autograd could not save a tensor for backward: {saveError}");
        }
        return output;
    }

    public bool NeedsInputGrad(int index)
    {
        if ((uint)index >= (uint)_inputCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"{_function?.Name}: needs_input_grad takes an input index from 0 to {_inputCount - 1}; got {index}.");
        return _needsGrad[index];
    }

    public void SaveForBackward(ReadOnlySpan<Tensor> tensors)
    {
        var name = _function!.Name;
        if (_toSaveCount != 0)
            throw new InvalidOperationException(_toSaveCount > 0
                ? $"{name}: save_for_backward was already called in this forward; call it once, with every tensor backward needs."
                : $"{name}: save_for_backward belongs in forward; it was called outside it.");
        for (int i = 0; i < tensors.Length; i++)
        {
            if (tensors[i] is null || tensors[i].IsInvalid)
                throw new ArgumentException($"{name}: save_for_backward got {(tensors[i] is null ? "null" : "a disposed tensor")} at position {i}.", nameof(tensors));
        }
        Grow(ref _toSave, tensors.Length);
        tensors.CopyTo(_toSave);
        _toSaveCount = tensors.Length;
    }

    public SavedTensors SavedTensors()
    {
        var name = _function!.Name;
        if (!_inBackward)
            throw new InvalidOperationException($"{name}: saved_tensors belongs in backward; it was read outside it.");
        if (_released && _savedCount > 0)
            throw new FunctionBackwardException(name,
                $"{name}: backward ran through this graph a second time, or after its saved tensors were freed. The first backward frees them; " +
                "pass retain_graph: true to it if you need to backward through the graph again.");
        if (_unpackedCount < _savedCount)
        {
            Grow(ref _unpacked, _savedCount);
            for (int i = _unpackedCount; i < _savedCount; i++)
            {
                IntPtr handle = NativeAutograd.SavedVariableUnpack(_saved[i], _native.WeakOnly);
                if (handle == IntPtr.Zero)
                    throw new FunctionBackwardException(name, SavedTensorError(i, NativeAutograd.TakeLastError()));
                _unpacked[i] = BackwardScope.Unscoped(handle);
                _unpackedCount = i + 1;
            }
        }
        return new SavedTensors(_unpacked.AsSpan(0, _savedCount));
    }

    private static Tensor ForwardWithoutGrad(Function function, ReadOnlySpan<Tensor> inputs)
    {
        NativeAutograd.SetGradEnabled(0);
        try
        {
            return RequireOutput(function, function.Forward(FunctionContext.NotRecording, inputs));
        }
        finally
        {
            NativeAutograd.SetGradEnabled(1);
        }
    }

    private static Tensor RequireOutput(Function function, Tensor? output) =>
        output is null ? throw new InvalidOperationException($"{function.Name}: forward returned null; it must return the output tensor.")
        : output.IsInvalid ? throw new InvalidOperationException($"{function.Name}: forward returned a disposed tensor; it must return a live output.")
        : output;

    private static bool IsInput(Tensor tensor, ReadOnlySpan<Tensor> inputs)
    {
        foreach (var input in inputs)
            if (ReferenceEquals(input, tensor))
                return true;
        return false;
    }

    private static GraphNode Rent(Function function, ReadOnlySpan<bool> needsGrad)
    {
        GraphNode? node = null;
        lock (s_free)
            s_free.TryPop(out node);
        if (node is null)
        {
            node = new GraphNode();
            lock (s_all)
                s_all.Add(node);
        }
        node._function = function;
        node._inputCount = needsGrad.Length;
        Grow(ref node._needsGrad, needsGrad.Length);
        needsGrad.CopyTo(node._needsGrad);
        node._native = NativeAutograd.NodeCreate(node._applyPointer, node._deletePointer);
        return node;
    }

    /// <summary>
    /// Commits what forward saved as libtorch saved variables; the raw output is saved as the wrapped one. Returns
    /// libtorch's message if it refused one.
    /// </summary>
    private string? CommitSaves(Tensor raw, Tensor output, ReadOnlySpan<Tensor> inputs)
    {
        string? error = null;
        Grow(ref _saved, _toSaveCount);
        Grow(ref _savedRole, _toSaveCount);
        for (int i = 0; i < _toSaveCount; i++)
        {
            var tensor = _toSave[i];
            _toSave[i] = null!;
            int role = RoleOf(tensor, raw, inputs);
            // The output is saved as the wrapped tensor, whose grad_fn is this node: libtorch then keeps it without
            // the reference cycle that saving it as an ordinary tensor would make.
            _saved[i] = NativeAutograd.SavedVariableCreate((role == OutputRole ? output : tensor).Handle, _native, 0);
            _savedRole[i] = role;
            if (_saved[i] == IntPtr.Zero)
                error ??= FirstLine(NativeAutograd.TakeLastError());
        }
        _savedCount = _toSaveCount;
        _toSaveCount = -1;
        _released = false;
        return error;
    }

    private const int OutputRole = -1;
    private const int IntermediateRole = -2;

    private static int RoleOf(Tensor tensor, Tensor raw, ReadOnlySpan<Tensor> inputs)
    {
        if (ReferenceEquals(tensor, raw))
            return OutputRole;
        for (int i = 0; i < inputs.Length; i++)
            if (ReferenceEquals(tensor, inputs[i]))
                return i;
        return IntermediateRole;
    }

    private string SavedTensorError(int index, string? engineMessage)
    {
        var function = _function!;
        int role = _savedRole[index];
        string what = role switch
        {
            OutputRole => "its output",
            IntermediateRole => $"saved tensor {index}",
            _ => $"input '{function.InputNames[role]}'",
        };
        string detail = FirstLine(engineMessage);
        var versions = VersionPattern().Match(detail);
        if (versions.Success)
            return $"{function.Name}: {what}, saved for backward, was modified by an in-place operation after forward " +
                   $"(it is at version {versions.Groups[1].Value}; forward saved version {versions.Groups[2].Value}). Backward needs it as it was: " +
                   "run backward before changing it (an optimizer step changes parameters in place), or give the Function a copy.";
        return $"{function.Name}: {what}, saved for backward, cannot be read back: {detail}";
    }

    /// <summary>The engine's backward call (one output, so one gradient in): never lets an exception escape into native code.</summary>
    private TensorArray OnApply(IntPtr* gradOutputs, int count)
    {
        ReturnedGradients.Release();
        try
        {
            // Two threads may run backward through one retained graph at once.
            lock (_backwardLock)
                return Backward(gradOutputs);
        }
        catch (Exception e)
        {
            BackwardFailures.Record(_function, e);
            return new TensorArray(_gradientHandles, 0);
        }
    }

    private TensorArray Backward(IntPtr* gradOutputs)
    {
        var function = _function!;
        int inputs = _inputCount;
        if (_gradientCapacity < inputs)
        {
            NativeMemory.Free(_gradientHandles);
            _gradientHandles = (IntPtr*)NativeMemory.Alloc((nuint)inputs, (nuint)sizeof(IntPtr));
            _gradientCapacity = inputs;
        }
        for (int i = 0; i < inputs; i++)
            _gradientHandles[i] = IntPtr.Zero;
        // No gradient for the output (the rest of the graph gave none): every input's gradient is zero, which autograd
        // reads from an undefined one, without calling backward.
        if (gradOutputs[0] == IntPtr.Zero)
            return new TensorArray(_gradientHandles, inputs);

        CreateGraph = NativeAutograd.IsGradEnabled() != 0;
        bool keepGraph = NativeAutograd.KeepGraph() != 0;
        Grow(ref _gradients, inputs);
        var gradients = _gradients.AsSpan(0, inputs);
        gradients.Clear();
        // The runtime's own wrappers (grad_output, the unpacked saved tensors) belong to no scope; what backward makes
        // belongs to the backward scope. Either kind, when returned as a gradient, is held until the engine has copied it.
        var gradOutput = BackwardScope.Unscoped(gradOutputs[0]);
        var scope = BackwardScope.Enter();
        try
        {
            _inBackward = true;
            function.Backward(Context, gradOutput, gradients);
            _inBackward = false;
            ReturnedGradients.Begin(function);
            for (int i = 0; i < inputs; i++)
            {
                var gradient = gradients[i];
                if (gradient is null || !_needsGrad[i])
                    continue;
                if (gradient.IsInvalid)
                    throw new FunctionBackwardException(function.Name,
                        $"{function.Name}: backward returned a disposed tensor as the gradient for '{function.InputNames[i]}'.");
                bool owned = BackwardScope.Release(scope, gradient) || ReferenceEquals(gradient, gradOutput) || IsUnpacked(gradient);
                ReturnedGradients.Add(i, gradient, owned);
                _gradientHandles[i] = gradient.Handle;
            }
        }
        finally
        {
            _inBackward = false;
            gradients.Clear();
            BackwardScope.Exit(scope);
            if (!ReturnedGradients.Holds(gradOutput))
                gradOutput.Dispose();
            for (int i = 0; i < _unpackedCount; i++)
            {
                if (!ReturnedGradients.Holds(_unpacked[i]))
                    _unpacked[i].Dispose();
                _unpacked[i] = null!;
            }
            _unpackedCount = 0;
        }
        if (!keepGraph)
            ReleaseSaved();
        return new TensorArray(_gradientHandles, inputs);
    }

    private bool IsUnpacked(Tensor tensor)
    {
        for (int i = 0; i < _unpackedCount; i++)
            if (ReferenceEquals(_unpacked[i], tensor))
                return true;
        return false;
    }

    private void ReleaseSaved()
    {
        for (int i = 0; i < _savedCount; i++)
        {
            if (_saved[i] != IntPtr.Zero)
                NativeAutograd.SavedVariableDispose(_saved[i]);
            _saved[i] = IntPtr.Zero;
        }
        _released = true;
    }

    /// <summary>Forward failed: forget what it saved and let the native node go (which returns this node to the pool).</summary>
    private void Abandon()
    {
        Array.Clear(_toSave);
        _toSaveCount = -1;
        _savedCount = 0;
        NativeAutograd.NodeReleaseStrong(_native);
        _native.Strong = IntPtr.Zero;
    }

    /// <summary>libtorch deletes the native node: free the saved variables and return to the pool.</summary>
    private void OnDelete()
    {
        if (!_released)
            ReleaseSaved();
        NativeAutograd.NodeReleaseWeak(_native);
        _native = default;
        _function = null;
        _savedCount = 0;
        _released = false;
        lock (s_free)
            s_free.Push(this);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static IntPtr* AllocateOutputs(nuint count) => t_outputs;

    [GeneratedRegex(@"is at version (\d+); expected version (\d+)")]
    private static partial Regex VersionPattern();

    private static string FirstLine(string? message) =>
        message is null ? "no message from libtorch" : message.Split('\n', 2)[0].Trim();

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
            array = new T[Math.Max(length, array.Length * 2)];
    }
}
