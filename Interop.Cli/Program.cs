using Interop.Cli;
using Interop.Cli.Commands;

return CommandLine.Run(args, Console.Out, Console.Error,
[
    new VerifyCommand(),
    new SoakCommand(),
    new TrainCommand(),
    new BenchCommand(),
]);
