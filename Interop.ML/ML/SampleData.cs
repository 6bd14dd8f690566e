using System.Globalization;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// Data to train on: Fisher's Iris data (embedded in this assembly; see Data/README.md for its source and licence),
/// any file in the same tab-separated layout, and synthetic decay curves.
/// </summary>
public static class SampleData
{
    /// <summary>
    /// Fisher's Iris data: 150 rows with Label (Single: 0 setosa, 1 versicolor, 2 virginica) and Features
    /// (a vector of 4 Single: sepal length, sepal width, petal length, petal width, in cm).
    /// </summary>
    public static IDataView Iris()
    {
        using var stream = typeof(SampleData).Assembly.GetManifestResourceStream("Interop.Data.iris.tsv")
            ?? throw new InvalidOperationException("The embedded resource Interop.Data.iris.tsv is missing from the Interop assembly.");
        using var reader = new StreamReader(stream);
        return ReadLabeledTsv(reader, "iris.tsv", NaNPolicy.Error);
    }

    /// <summary>
    /// Reads a tab-separated file of rows "label, feature 1, …, feature D" (numbers in invariant culture; lines that
    /// start with '#' and blank lines are skipped) into Label (Single) and Features (a vector of D Single).
    /// </summary>
    /// <param name="path">The file to read; error messages name it as given.</param>
    /// <param name="nanPolicy">A row that holds NaN: <see cref="NaNPolicy.Error"/> (default) throws, <see cref="NaNPolicy.SkipRow"/> leaves it out.</param>
    /// <exception cref="FormatException">
    /// The file is not rows of tab-separated numbers, all of one width, or holds no row. The message starts with the
    /// place, <c>path:line:column</c> (the column counts characters from 1), and says what was expected and what came.
    /// </exception>
    /// <exception cref="NotFiniteNumberException">
    /// A value is infinite or beyond the range of Single, or NaN under <see cref="NaNPolicy.Error"/>; the message starts
    /// with <c>path:line:column</c> and <see cref="NotFiniteNumberException.OffendingNumber"/> is the value.
    /// </exception>
    public static IDataView LoadLabeledTsv(string path, NaNPolicy nanPolicy = NaNPolicy.Error)
    {
        using var reader = new StreamReader(path);
        return ReadLabeledTsv(reader, path, nanPolicy);
    }

    /// <summary>
    /// Samples the decay curve y = k · exp(−β x) + noise at <paramref name="count"/> points x uniform in
    /// [0, <paramref name="xMax"/>]: Features (a vector of one Single, x) and Label (Single, y), with Gaussian noise of
    /// standard deviation <paramref name="noise"/>, all drawn from <paramref name="seed"/>.
    /// </summary>
    public static IDataView DecayCurve(int count, double beta, double k, double noise = 0.01, int seed = 0, double xMax = 5.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(noise);
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        using var xScale = xMax.ToScalar();
        using var minusBeta = (-beta).ToScalar();
        using var scale = k.ToScalar();
        using var noiseScale = noise.ToScalar();
        var x = rand([count, 1], ScalarType.Float64, generator: generator).mul(xScale);
        var y = exp(x.mul(minusBeta)).mul(scale).add(randn([count, 1], ScalarType.Float64, generator: generator).mul(noiseScale), HeldScalars.One).flatten();
        return new TensorDataView([("Features", x.to(ScalarType.Float32)), ("Label", y.to(ScalarType.Float32))]);
    }

    private static IDataView ReadLabeledTsv(TextReader reader, string source, NaNPolicy nanPolicy)
    {
        var labels = new List<float>();
        var features = new List<float>();
        var row = new List<float>();
        int width = -1, firstDataLine = 0, lineNumber = 0, rowsWithNaN = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            string at = $"{source}:{lineNumber}";
            RequireText(line, at);
            var fields = TabSeparatedFields(line);
            if (width < 0)
            {
                if (fields.Count < 2)
                    throw new FormatException($"{at}:1: expected a label and features separated by tabs; got one field{SeparatorHint(line)}.");
                (width, firstDataLine) = (fields.Count - 1, lineNumber);
            }
            else if (fields.Count != width + 1)
            {
                int column = fields.Count > width + 1 ? fields[width + 1].Column : line.Length + 1;
                throw new FormatException($"{at}:{column}: expected a label and {Plural(width, "feature")}, as on line {firstDataLine}; got a label and {Plural(fields.Count - 1, "feature")}.");
            }

            row.Clear();
            foreach (var ((text, column), index) in fields.Select((field, index) => (field, index)))
            {
                string what = index == 0 ? "the label" : $"feature {index}";
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    throw new FormatException($"{at}:{column}: expected a number for {what}; got {Quote(text)}{NumberHint(text, lineNumber == firstDataLine)}.");
                if (float.IsNaN(value) && nanPolicy == NaNPolicy.Error)
                    throw new NotFiniteNumberException($"{at}:{column}: {what} is NaN.", value);
                if (float.IsInfinity(value))
                    throw new NotFiniteNumberException($"{at}:{column}: {what} is {Quote(text)}, not a finite number within the range of Single (±3.4e38).", value);
                row.Add(value);
            }
            if (row.Any(float.IsNaN))
            {
                rowsWithNaN++;
                continue;
            }
            labels.Add(row[0]);
            features.AddRange(row.Skip(1));
        }
        if (labels.Count == 0)
        {
            string why = rowsWithNaN > 0 ? $"every one of its {Plural(rowsWithNaN, "row")} holds NaN"
                : lineNumber == 0 ? "the file is empty"
                : lineNumber == 1 ? "its one line is a comment or blank"
                : $"its {lineNumber} lines are comments or blank";
            throw new FormatException($"{source}: no data rows: {why}.");
        }
        return new TensorDataView([("Label", tensor(labels.ToArray())), ("Features", tensor(features.ToArray()).reshape(labels.Count, width))]);
    }

    /// <summary>The fields of a line and the column (from 1) where each starts.</summary>
    private static List<(string Text, int Column)> TabSeparatedFields(string line)
    {
        var fields = new List<(string, int)>();
        for (int start = 0; ; )
        {
            int tab = line.IndexOf('\t', start);
            fields.Add((line[start..(tab < 0 ? line.Length : tab)], start + 1));
            if (tab < 0)
                return fields;
            start = tab + 1;
        }
    }

    /// <summary>Binary data or another encoding would otherwise surface as a puzzling number error.</summary>
    private static void RequireText(string line, string at)
    {
        if (line.IndexOf('\0') is var nul and >= 0)
            throw new FormatException($"{at}:{nul + 1}: a NUL byte; expected tab-separated text, not binary data.");
        if (line.IndexOf('\uFFFD') is var invalid and >= 0)
            throw new FormatException($"{at}:{invalid + 1}: bytes that are not UTF-8 text; expected tab-separated text in UTF-8.");
    }

    private static string SeparatorHint(string line) =>
        line.Contains(' ') ? " (the line is separated by spaces)"
        : line.Contains(',') ? " (the line is separated by commas)"
        : line.Contains(';') ? " (the line is separated by semicolons)"
        : "";

    private static string NumberHint(string text, bool onFirstDataLine) =>
        text.Contains(',') && float.TryParse(text.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? " (use '.' as the decimal point)"
        : text.Contains(' ') ? " (fields are separated by tabs, not spaces)"
        : onFirstDataLine && text.Any(char.IsLetter) ? " (a header line must start with '#')"
        : "";

    /// <summary>A field as it came, quoted, shortened and with control characters escaped, so that it prints on one line.</summary>
    private static string Quote(string text)
    {
        const int MaxLength = 24;
        var shown = text.Length > MaxLength ? text[..MaxLength] + "…" : text;
        var escaped = string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return text.Length == 0 ? "an empty field" : $"'{escaped}'";
    }

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}
