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

    /// <summary>The value of option <paramref name="name"/>, which must be one of <paramref name="choices"/>; the first is the default.</summary>
    public string Choice(string name, params string[] choices)
    {
        string text = Value(name) ?? choices[0];
        return choices.Contains(text) ? text : throw new UsageException($"--{name} must be {string.Join(" or ", choices)}; got '{text}'.");
    }
}

/// <summary>
/// The command line is wrong: an unknown option, a value that is not what the option takes, or a path that cannot
/// serve as the option asks. Reported as one line that names the option; exit code 2.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The command ran and cannot finish for a reason the user can fix, such as a data file that is not what it must be.
/// Reported as one line that names the file and line (and column), or what else is wrong; exit code 1.
/// </summary>
internal sealed class CommandFailedException(string message, Exception? cause = null) : Exception(message, cause);

/// <summary>
/// Runs one command and turns every error into one line on the error stream, "interop COMMAND: message", and an exit
/// code: 2 for usage, 1 for anything else. With --verbose the exception follows in full, stack trace included.
/// </summary>
internal static class CommandLine
{
    public const int Failure = 1;
    public const int UsageError = 2;
    private const string Verbose = "verbose";

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
            error.WriteLine($"interop: unknown command '{OneLine(args[0])}'. Commands: {string.Join(", ", commands.Select(c => c.Name))}.");
            return UsageError;
        }
        bool verbose = args.Contains($"--{Verbose}");
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
        catch (Exception e)
        {
            var (message, exitCode) = e switch
            {
                UsageException => (e.Message, UsageError),
                CommandFailedException => (e.Message, Failure),
                _ => ($"unexpected {Innermost(e).GetType().Name}: {OneLine(Innermost(e).Message)}{(verbose ? "" : " (--verbose shows the stack trace)")}", Failure),
            };
            error.WriteLine($"interop {command.Name}: {OneLine(message)}");
            if (verbose)
                error.WriteLine(e);
            return exitCode;
        }
    }

    /// <summary>The exception that says what went wrong, past the wrappers of type initializers and reflection.</summary>
    private static Exception Innermost(Exception e) =>
        e is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException && e.InnerException is { } inner
            ? Innermost(inner)
            : e;

    /// <summary>
    /// The first line of a message, control characters escaped: libtorch appends its C++ stack to messages, and a
    /// value quoted from a file may hold anything.
    /// </summary>
    private static string OneLine(string message)
    {
        var first = message.Split('\n', 2)[0].TrimEnd('\r');
        return string.Concat(first.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
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
            if (name is "help" or Verbose)
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
                throw new UsageException($"unknown option --{name} ('interop {command.Name} --help' lists the options).");
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
        writer.WriteLine("Run a command with --help for its options. An error is one line on stderr, exit code 1 (2 for a wrong");
        writer.WriteLine("command line); --verbose adds the stack trace.");
    }

    private static void WriteHelp(TextWriter writer, ICommand command)
    {
        writer.WriteLine($"usage: interop {command.Name} [options]");
        writer.WriteLine($"  {command.Summary}");
        foreach (var (name, description) in command.Options)
            writer.WriteLine($"  --{(name.EndsWith('=') ? name[..^1] + " VALUE" : name),-16} {description}");
        writer.WriteLine($"  --{Verbose,-16} on an error, print the exception and its stack trace after the one-line message");
    }
}
