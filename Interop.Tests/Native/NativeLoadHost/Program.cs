using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Interop.Functions;
using Interop.Native;
using TorchSharp;
using static TorchSharp.torch;

// Prints what Interop's native loader did in this process, one fact a line:
//   outcome <NativeLoadOutcome>      message <Report.Message>      loaded <path>   (each file Interop loaded)
//   result <y> <dy/dx0>              (LogSum forward and backward, unless the load failed)
//   mapped <path>                    (each libtorch, c10, libgomp or LibTorchSharp file in /proc/self/maps, at the end)
// Options, applied before anything touches Interop or TorchSharp:
//   --torchsharp-from <folder>   load TorchSharp.dll from <folder>, as notebooks load it from the NuGet packages folder
//   --preload <library>          load <library> by path first, as if something else had loaded a libtorch already;
//                                if that fails, print "preload-failed <error>" and stop
// Exits 0 however the load went; an abort shows as another exit code.
for (int i = 0; i + 1 < args.Length; i += 2)
{
    string value = args[i + 1];
    switch (args[i])
    {
        case "--torchsharp-from":
            AssemblyLoadContext.Default.Resolving += (context, name) =>
                name.Name == "TorchSharp" ? context.LoadFromAssemblyPath(Path.Combine(value, "TorchSharp.dll")) : null;
            break;
        case "--preload":
            try
            {
                NativeLibrary.Load(value);
            }
            catch (DllNotFoundException e)
            {
                Console.WriteLine($"preload-failed {e.Message.ReplaceLineEndings(" ")}");
                return;
            }
            break;
        default:
            throw new ArgumentException($"unknown option {args[i]}");
    }
}
Run();

// Separate, so that nothing of Interop or TorchSharp is resolved before the options above took effect.
[MethodImpl(MethodImplOptions.NoInlining)]
static void Run()
{
    var report = TorchNativeLoader.Report;
    Console.WriteLine($"outcome {report.Outcome}");
    Console.WriteLine($"message {report.Message}");
    foreach (string file in report.LoadedFiles)
        Console.WriteLine($"loaded {file}");
    // After a failure TorchSharp's own loader would copy the backend's half gigabyte into a folder beside
    // TorchSharp.dll before giving up; that is TorchSharp's doing and not what these tests look at.
    if (report.Outcome != NativeLoadOutcome.Failed)
    {
        var x = tensor(new[] { 0.5, 1.0, 2.0 }).requires_grad_();
        var y = LogSumFunction.apply(x, tensor(1.5));
        y.backward();
        Console.WriteLine($"result {y.ToDouble():R} {x.grad!.data<double>()[0]:R}");
    }
    foreach (string file in File.ReadLines("/proc/self/maps").Select(line => line.IndexOf('/') is var at and >= 0 ? line[at..] : "").Distinct())
        if (Path.GetFileName(file) is var name && (name.StartsWith("libtorch") || name.StartsWith("libc10") || name.StartsWith("libgomp") || name.StartsWith("libLibTorchSharp")))
            Console.WriteLine($"mapped {file}");
}
