using Interop.Cli;
using Interop.Cli.Commands;

using var temporaryFolder = new PrivateTemporaryFolder();
return CommandLine.Run(args, Console.Out, Console.Error,
[
    new VerifyCommand(),
    new SoakCommand(),
    new TrainCommand(),
    new BenchCommand(),
]);
