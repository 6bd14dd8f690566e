using System.Runtime.CompilerServices;
using TorchSharp;
try { var a = torch.ones(2); Console.WriteLine("first ok"); } catch (Exception e) { Console.WriteLine("first failed: " + e.GetType().Name); }
Later();
[MethodImpl(MethodImplOptions.NoInlining)]
static void Later() {
Interop.Native.TorchNativeLoader.EnsureLoaded();
var x = torch.randn(3, requires_grad: true);
Console.WriteLine(x.sum().item<float>());
}
