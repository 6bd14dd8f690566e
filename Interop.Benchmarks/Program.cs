using BenchmarkDotNet.Running;

// dotnet run -c Release --project Interop.Benchmarks -- --filter '*'   (all cases; see docs/benchmarks.md)
BenchmarkSwitcher.FromAssembly(typeof(Interop.Benchmarks.FunctionBenchmarks).Assembly).Run(args);
