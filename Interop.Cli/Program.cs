using Interop.Cli;
using Interop.Cli.Commands;

return Interop.Cli.CommandLine.Run(args, Console.Out, Console.Error,
[
    new VerifyCommand(),
    new BenchCommand(),
]);
