namespace Interop.Cli;

/// <summary>A subcommand of the CLI: its name, a line of help, the options it accepts, and what it does.</summary>
internal interface ICommand
{
    string Name { get; }
    string Summary { get; }

    /// <summary>Option names with a one-line description; names ending in '=' take a value.</summary>
    IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>Runs the command and returns the process exit code.</summary>
    int Run(ParsedOptions options, TextWriter output);
}

/// <summary>The options given to a command: flags, and options with values.</summary>
internal sealed class ParsedOptions(IReadOnlyDictionary<string, string?> values)
{
    public bool Flag(string name) => values.ContainsKey(name);

    public string? Value(string name) => values.TryGetValue(name, out var value) ? value : null;

    public int Int(string name, int fallback, int min, int max)
    {
        if (Value(name) is not { } text)
            return fallback;
        if (!int.TryParse(text, out int value) || value < min || value > max)
            throw new UsageException($"--{name} must be an integer from {min} to {max}; got '{text}'.");
        return value;
    }
}

/// <summary>Bad command-line usage: reported with help, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

internal static class CommandLine
{
    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter output, TextWriter error, IReadOnlyList<ICommand> commands)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            WriteHelp(output, commands);
            return args.Length == 0 ? UsageError : 0;
        }
        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            error.WriteLine($"interop: unknown command '{args[0]}'. Commands: {string.Join(", ", commands.Select(c => c.Name))}.");
            return UsageError;
        }
        try
        {
            var options = Parse(command, args[1..]);
            if (options.Flag("help"))
            {
                WriteHelp(output, command);
                return 0;
            }
            return command.Run(options, output);
        }
        catch (UsageException e)
        {
            error.WriteLine($"interop {command.Name}: {e.Message}");
            WriteHelp(error, command);
            return UsageError;
        }
    }

    private static ParsedOptions Parse(ICommand command, string[] args)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unexpected argument '{args[i]}'.");
            string name = args[i][2..];
            string? inlineValue = null;
            if (name.IndexOf('=') is var equals and >= 0)
                (name, inlineValue) = (name[..equals], name[(equals + 1)..]);
            if (name == "help")
            {
                values[name] = null;
                continue;
            }
            if (command.Options.ContainsKey(name))
            {
                if (inlineValue is not null)
                    throw new UsageException($"--{name} takes no value.");
                values[name] = null;
            }
            else if (command.Options.ContainsKey(name + "="))
            {
                values[name] = inlineValue ?? (i + 1 < args.Length ? args[++i] : throw new UsageException($"--{name} needs a value."));
            }
            else
            {
                throw new UsageException($"unknown option --{name}.");
            }
        }
        return new ParsedOptions(values);
    }

    private static void WriteHelp(TextWriter writer, IReadOnlyList<ICommand> commands)
    {
        writer.WriteLine("interop: the chain rule, by hand and by autograd, in TorchSharp.");
        writer.WriteLine();
        writer.WriteLine("usage: dotnet run --project Interop.Cli -- <command> [options]");
        writer.WriteLine();
        foreach (var command in commands)
            writer.WriteLine($"  {command.Name,-8} {command.Summary}");
        writer.WriteLine();
        writer.WriteLine("Run a command with --help for its options.");
    }

    private static void WriteHelp(TextWriter writer, ICommand command)
    {
        writer.WriteLine($"usage: interop {command.Name} [options]");
        writer.WriteLine($"  {command.Summary}");
        foreach (var (name, description) in command.Options)
            writer.WriteLine($"  --{(name.EndsWith('=') ? name[..^1] + " VALUE" : name),-16} {description}");
    }
}
