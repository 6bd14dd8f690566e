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

    /// <summary>The list beside the binary; lines starting with '#' and blank lines are comments.</summary>
    /// <exception cref="InvalidDataException">A line is not of the form "case | quantity | [element]", or is there twice.</exception>
    public static KnownFailures Read()
    {
        string path = Path.Combine(AppContext.BaseDirectory, FileName);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            string text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
                continue;
            var parts = text.Split('|', StringSplitOptions.TrimEntries);
            if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !parts[2].StartsWith('[') || !parts[2].EndsWith(']'))
                throw new InvalidDataException($"{path}:{number}: expected 'case | quantity | [element]', got '{text}'.");
            if (!keys.Add(string.Join(" | ", parts)))
                throw new InvalidDataException($"{path}:{number}: '{text}' is listed twice.");
        }
        return new KnownFailures(keys);
    }

    /// <summary>The key of a failure, as the list writes it.</summary>
    public static string KeyOf(ElementComparison e) =>
        $"{e.Result.Case.Id} | {e.Measure.Name(CrossCheckReport.ParameterName(e.Result.Case.Module))} | [{e.Element}]";

    /// <summary>Whether the failure is listed.</summary>
    public bool Contains(ElementComparison e) => keys.Contains(KeyOf(e));

    /// <summary>The listed keys that are not among <paramref name="failing"/>.</summary>
    public IEnumerable<string> Except(IEnumerable<string> failing) => keys.Except(failing);
}
