using System.Globalization;
using Microsoft.ML;
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
        return ReadLabeledTsv(reader, "iris.tsv");
    }

    /// <summary>
    /// Reads a tab-separated file of rows "label, feature 1, …, feature D" (numbers in invariant culture; lines that
    /// start with '#' and blank lines are skipped) into Label (Single) and Features (a vector of D Single).
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="FormatException">A line is not numbers, or has another count of them than the first line.</exception>
    public static IDataView LoadLabeledTsv(string path)
    {
        using var reader = new StreamReader(path);
        return ReadLabeledTsv(reader, path);
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
        var x = rand([count, 1], ScalarType.Float64, generator: generator) * xMax;
        var y = (k * exp(-beta * x) + noise * randn([count, 1], ScalarType.Float64, generator: generator)).flatten();
        return new TensorDataView([("Features", x.to(ScalarType.Float32)), ("Label", y.to(ScalarType.Float32))]);
    }

    private static IDataView ReadLabeledTsv(TextReader reader, string source)
    {
        var labels = new List<float>();
        var features = new List<float>();
        int width = -1, lineNumber = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var fields = line.Split('\t');
            if (width < 0)
                width = fields.Length - 1;
            if (width < 1 || fields.Length - 1 != width)
                throw new FormatException($"{source}, line {lineNumber}: expected a label and {Math.Max(width, 1)} features separated by tabs; got {fields.Length} fields.");
            foreach (var (field, index) in fields.Select((field, index) => (field, index)))
            {
                if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    throw new FormatException($"{source}, line {lineNumber}, field {index + 1}: expected a number; got '{field}'.");
                (index == 0 ? labels : features).Add(value);
            }
        }
        if (labels.Count == 0)
            throw new FormatException($"{source}: no data rows.");
        return new TensorDataView([("Label", tensor(labels.ToArray())), ("Features", tensor(features.ToArray()).reshape(labels.Count, width))]);
    }
}
