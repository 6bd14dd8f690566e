using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Interop.Benchmarks;

/// <summary>
/// Valgrind's callgrind from inside the process it runs: whether it is running, switching its instrumentation on for
/// a measurement, and the instructions that every thread executes during a block of code, read exactly from a dump that
/// callgrind writes when asked to (client requests, as <c>valgrind/callgrind.h</c> makes them). Also the command line
/// and environment that run this program under callgrind with everything that could make two counts of the same code
/// differ pinned down.
/// </summary>
/// <remarks>
/// A client request is a marker instruction sequence that valgrind recognises while it translates code, so it must be
/// machine code: <c>callgrind.h</c> emits it as inline assembly. Here the same eleven instructions are copied into an
/// executable page once, which needs no C compiler. Natively they do nothing and return the default. x86-64 Linux only.
/// </remarks>
public static class Callgrind
{
    /// <summary>The environment variable through which <see cref="StartInfo"/> tells the child where callgrind dumps.</summary>
    private const string OutFileVariable = "INTEROP_CALLGRIND_OUT_FILE";

    /// <summary>Set by <see cref="StartInfo"/> when the dumps are to be kept (<see cref="KeepsDumps"/>).</summary>
    private const string KeepDumpsVariable = "INTEROP_CALLGRIND_KEEP_DUMPS";

    // Request codes from valgrind.h and callgrind.h: VG_USERREQ__RUNNING_ON_VALGRIND, and
    // VG_USERREQ_TOOL_BASE('C','T') + 1, + 3, + 4 and + 5 for VG_USERREQ__ZERO_STATS, VG_USERREQ__DUMP_STATS_AT,
    // VG_USERREQ__START_INSTRUMENTATION and VG_USERREQ__STOP_INSTRUMENTATION.
    private const ulong RunningOnValgrindRequest = 0x1001;
    private const ulong ZeroStatsRequest = 0x4354_0001;
    private const ulong DumpStatsAtRequest = 0x4354_0003;
    private const ulong StartInstrumentationRequest = 0x4354_0004;
    private const ulong StopInstrumentationRequest = 0x4354_0005;

    /// <summary>
    /// VALGRIND_DO_CLIENT_REQUEST_EXPR for amd64 as a function <c>ulong request(ulong* args, ulong fallback)</c>:
    /// the four rotations of rdi add up to 128 bits and change nothing, and with <c>xchg rbx, rbx</c> they are the
    /// sequence that valgrind replaces by "rdx = the request whose arguments rax points to".
    /// </summary>
    private static readonly byte[] ClientRequestCode =
    [
        0x48, 0x89, 0xF8,       // mov rax, rdi      the request and its five arguments
        0x48, 0x89, 0xF2,       // mov rdx, rsi      the result when not under valgrind
        0x48, 0xC1, 0xC7, 0x03, // rol rdi, 3
        0x48, 0xC1, 0xC7, 0x0D, // rol rdi, 13
        0x48, 0xC1, 0xC7, 0x3D, // rol rdi, 61
        0x48, 0xC1, 0xC7, 0x33, // rol rdi, 51
        0x48, 0x87, 0xDB,       // xchg rbx, rbx
        0x48, 0x89, 0xD0,       // mov rax, rdx
        0xC3,                   // ret
    ];

    private static readonly Lazy<ClientRequest?> request = new(MakeClientRequest);
    private static int dumps;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate ulong ClientRequest(ulong[] arguments, ulong fallback);

    /// <summary>Whether this platform can make client requests: Linux on x86-64, the only code above.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>
    /// True when the process that started this one (<see cref="StartInfo"/>) keeps the dumps for analysis by function;
    /// the JIT then writes a perf map of its code beside them, so that managed frames can be named.
    /// </summary>
    public static bool KeepsDumps => Environment.GetEnvironmentVariable(KeepDumpsVariable) == "1";

    /// <summary>True when this process runs under valgrind (any tool).</summary>
    public static bool IsRunning => Request(RunningOnValgrindRequest, 0) != 0;

    /// <summary>
    /// Runs <paramref name="measurement"/> with callgrind's instrumentation on. <see cref="StartInfo"/> starts the
    /// process without it, which runs start-up (loading libtorch, compiling methods) several times faster; only code
    /// that runs instrumented is counted, and switching it on or off changes no count, only speed.
    /// </summary>
    public static void Instrumented(Action measurement)
    {
        Request(StartInstrumentationRequest, 0);
        try
        {
            measurement();
        }
        finally
        {
            Request(StopInstrumentationRequest, 0);
        }
    }

    /// <summary>
    /// Counts what all threads of this process execute while <paramref name="block"/> runs: callgrind's counters are
    /// zeroed, the block runs, and callgrind dumps them to a file, whose path this returns, with
    /// <paramref name="label"/> in its <c>desc: Trigger:</c> line. Read it with <see cref="CallgrindDump.Read"/> once
    /// instrumentation is off: parsing it instrumented takes longer than the block. Requires a process started by
    /// <see cref="StartInfo"/>, inside <see cref="Instrumented"/>.
    /// </summary>
    public static string Count(Action block, string label)
    {
        string outFile = Environment.GetEnvironmentVariable(OutFileVariable)
            ?? throw new InvalidOperationException($"{OutFileVariable} is not set: start this process with {nameof(Callgrind)}.{nameof(StartInfo)}.");
        if (!IsRunning)
            throw new InvalidOperationException("This process does not run under valgrind.");
        Request(ZeroStatsRequest, 0);
        block();
        var labelText = Marshal.StringToHGlobalAnsi(label);
        try
        {
            Request(DumpStatsAtRequest, (ulong)labelText);
        }
        finally
        {
            Marshal.FreeHGlobal(labelText);
        }
        return $"{outFile}.{++dumps}";
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> under callgrind, counting every thread
    /// together, instrumentation off until <see cref="Instrumented"/> turns it on, with its dumps and valgrind's log in
    /// <paramref name="directory"/>, in an environment that makes counts repeatable: no tiered compilation (each method is compiled once, fully optimised, when first called), no
    /// ReadyToRun code (so that framework and application code are compiled alike), a non-concurrent workstation GC
    /// with a gen0 budget large enough that no collection starts inside a measured block, and one OpenMP thread. With
    /// <paramref name="keepDumps"/>, the child keeps its dumps (<see cref="KeepsDumps"/>) and the JIT writes its perf
    /// map (<c>perf-PID.map</c>) into <paramref name="directory"/> too.
    /// </summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, string directory, bool keepDumps)
    {
        var startInfo = new ProcessStartInfo("valgrind") { UseShellExecute = false };
        foreach (string option in new[]
        {
            "--tool=callgrind",
            "--instr-atstart=no",
            $"--callgrind-out-file={Path.Combine(directory, "callgrind.out")}",
            $"--log-file={LogFile(directory)}",
            program,
        }.Concat(arguments))
            startInfo.ArgumentList.Add(option);
        startInfo.Environment[OutFileVariable] = Path.Combine(directory, "callgrind.out");
        foreach (var (name, value) in DeterministicEnvironment)
            startInfo.Environment[name] = value;
        if (keepDumps)
        {
            startInfo.Environment[KeepDumpsVariable] = "1";
            startInfo.Environment["DOTNET_PerfMapEnabled"] = "3"; // the perf map only, no jitdump
            startInfo.Environment["DOTNET_PerfMapJitDumpPath"] = directory;
        }
        return startInfo;
    }

    /// <summary>The variables that <see cref="StartInfo"/> sets, for the documentation of a measurement.</summary>
    public static IReadOnlyList<(string Name, string Value)> DeterministicEnvironment { get; } =
    [
        ("DOTNET_TieredCompilation", "0"),
        ("DOTNET_ReadyToRun", "0"),
        ("DOTNET_gcServer", "0"),
        ("DOTNET_gcConcurrent", "0"),
        ("DOTNET_GCgen0size", "0x10000000"), // 256 MiB, hexadecimal as the runtime reads it
        ("OMP_NUM_THREADS", "1"),
        ("MKL_NUM_THREADS", "1"),
    ];

    /// <summary>Where valgrind's own messages go for a run in <paramref name="directory"/>.</summary>
    public static string LogFile(string directory) => Path.Combine(directory, "valgrind.log");

    private static ulong Request(ulong code, ulong argument)
    {
        var call = request.Value;
        return call is null ? 0 : call([code, argument, 0, 0, 0, 0], 0);
    }

    /// <summary>Copies <see cref="ClientRequestCode"/> into an executable page, or null where that code cannot run.</summary>
    private static ClientRequest? MakeClientRequest()
    {
        if (!IsSupported)
            return null;
        const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
        const nuint PageSize = 4096;
        nint page = mmap(0, PageSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == -1)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "mmap of a page for callgrind's client requests failed");
        Marshal.Copy(ClientRequestCode, 0, page, ClientRequestCode.Length);
        if (mprotect(page, PageSize, ProtRead | ProtExec) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "mprotect of callgrind's client-request page failed");
        return Marshal.GetDelegateForFunctionPointer<ClientRequest>(page); // the page is never unmapped
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(nint address, nuint length, int protection);
}
