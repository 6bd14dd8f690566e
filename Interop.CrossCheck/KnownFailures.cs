using Interop.Reference;
using Interop.Tests.Numerics.Grid;

namespace Interop.CrossCheck;

/// <summary>
/// The elements where PyTorch is right and Interop is not that docs/pytorch-crosscheck.md explains and that are not
/// fixed, one per line of <see cref="FileName"/> as "case | quantity | [element]". The cross-check fails on any other
/// failure, and on a listed one that no longer fails, so the list stays the truth.
/// </summary>
public sealed class KnownFailures
{
    /// <summary>The file, next to this project's sources and copied beside its binary.</summary>
    public const string FileName = "KnownFailures.txt";

    private readonly HashSet<string> keys;

    private KnownFailures(HashSet<string> keys) => this.keys = keys;

    /// <summary>The listed keys, in no particular order.</summary>
    public IReadOnlyCollection<string> Keys => keys;

    /// <summary>The list beside the binary (see <see cref="Parse"/>).</summary>
    /// <exception cref="FileNotFoundException">There is no list beside the binary.</exception>
    /// <exception cref="InvalidDataException">A line is malformed or repeated.</exception>
    public static KnownFailures Read()
    {
        string path = Path.Combine(AppContext.BaseDirectory, FileName);
        return Parse(File.ReadLines(path), path);
    }

    /// <summary>
    /// The list in <paramref name="lines"/>: lines starting with '#' and blank lines are comments, every other line is
    /// "case | quantity | [element]", with spaces around the bars optional.
    /// </summary>
    /// <param name="lines">The list's lines.</param>
    /// <param name="source">The file's name, for the messages.</param>
    /// <exception cref="InvalidDataException">A line is not of that form, or is there twice; the message names the file and line.</exception>
    public static KnownFailures Parse(IEnumerable<string> lines, string source)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        int number = 0;
        foreach (string line in lines)
        {
            number++;
            string text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
                continue;
            var parts = text.Split('|', StringSplitOptions.TrimEntries);
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !IsElement(parts[2]))
                throw new InvalidDataException($"{source}:{number}: expected 'case | quantity | [element]', got '{text}'.");
            string key = string.Join(" | ", parts);
            if (!firstLine.TryAdd(key, number))
                throw new InvalidDataException($"{source}:{number}: '{text}' is already listed at line {firstLine[key]}.");
        }
        return new KnownFailures([.. firstLine.Keys]);
    }

    private static bool IsElement(string text) =>
        text.Length > 2 && text[0] == '[' && text[^1] == ']' && text[1..^1].All(char.IsAsciiDigit);

    /// <summary>The key of element <paramref name="element"/> of <paramref name="measure"/> in a case, as the list writes it.</summary>
    public static string KeyOf(CaseResult result, Measure measure, int element)
    {
        ArgumentNullException.ThrowIfNull(result);
        string parameterName = ModuleMap.All.Single(m => m.Name == result.Case.Module).ParameterName;
        return $"{result.Case.Id} | {measure.Name(parameterName)} | [{element}]";
    }

    /// <summary>Whether the key is listed.</summary>
    public bool Contains(string key) => keys.Contains(key);

    /// <summary>The listed keys that are not among <paramref name="failing"/>: failures fixed since they were listed.</summary>
    public IEnumerable<string> Except(IEnumerable<string> failing) => keys.Except(failing);
}
