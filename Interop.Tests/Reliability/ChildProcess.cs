using System.Diagnostics;
using System.Reflection;

namespace Interop.Tests.Reliability;

/// <summary>Runs a .NET program built beside the tests (the CLI, the misuse host) as a child process.</summary>
internal static class ChildProcess
{
    /// <summary>The path of <paramref name="project"/>'s built DLL, for a project at the repository's <paramref name="relativeFolder"/>.</summary>
    public static string BuiltDll(string relativeFolder, string project) => Path.GetFullPath(Path.Combine(
        AppContext.BaseDirectory, "..", "..", "..", "..", relativeFolder, "bin",
        typeof(ChildProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration,
        "net10.0", project + ".dll"));

    /// <summary>Runs <paramref name="dll"/> with <paramref name="arguments"/>; asserts a normal exit and returns standard output.</summary>
    public static string Run(string dll, TimeSpan timeout, params string[] arguments) => RunWithErrors(dll, timeout, arguments).Output;

    /// <summary>Runs <paramref name="dll"/> with <paramref name="arguments"/>; asserts a normal exit and returns both streams.</summary>
    public static (string Output, string Errors) RunWithErrors(string dll, TimeSpan timeout, params string[] arguments) =>
        RunWithEnvironment(dll, timeout, new Dictionary<string, string>(), arguments);

    /// <summary>As <see cref="RunWithErrors"/>, with <paramref name="environment"/> added to the child's environment.</summary>
    public static (string Output, string Errors) RunWithEnvironment(
        string dll, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var (exitCode, output, errors) = RunToExit(dll, timeout, environment, arguments);
        Assert.True(exitCode == 0, $"{Path.GetFileName(dll)} {string.Join(' ', arguments)}: exited with {exitCode}.\nstdout: {output}\nstderr: {errors}");
        return (output.Trim(), errors.Trim());
    }

    /// <summary>
    /// Runs <paramref name="dll"/> with <paramref name="arguments"/> and <paramref name="environment"/> added to this
    /// process's; asserts only that it exits within <paramref name="timeout"/>, and returns its exit code and both streams.
    /// </summary>
    public static (int ExitCode, string Output, string Errors) RunToExit(
        string dll, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        Assert.True(File.Exists(dll), $"not built: {dll}");
        var start = new ProcessStartInfo("dotnet", [dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(timeout), $"{Path.GetFileName(dll)} {string.Join(' ', arguments)}: did not exit within {timeout}");
        return (process.ExitCode, stdout, stderr.Result);
    }
}
