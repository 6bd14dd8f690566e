using System.Text;

namespace Interop.Tests.Cli;

/// <summary>
/// Data files that <c>train</c> must refuse, each with the place and the words its one-line error must have. The
/// files are written at test time into a folder of their own; <see cref="Location"/> is what follows the path in the
/// message: ":line:column:" for a place in the file, ":" for the file as a whole.
/// </summary>
internal static class BadTrainingData
{
    public sealed record Case(byte[] Content, string Location, string Says, params string[] ExtraArguments);

    public static IReadOnlyDictionary<string, Case> All { get; } = new Dictionary<string, Case>
    {
        ["empty"] = new([], ":", "no data rows: the file is empty"),
        ["header only"] = new(Text("# label\tsepal\tpetal\n"), ":", "no data rows: its one line is a comment or blank"),
        ["header without #"] = new(Text("label\tsepal\n0\t1\n"), ":1:1:", "expected a number for the label; got 'label' (a header line must start with '#')"),
        ["binary"] = new([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D], ":1:1:", "bytes that are not UTF-8 text"),
        ["NUL byte"] = new(Text("0\t1\t2\n1\t3\0\t4\n"), ":2:4:", "a NUL byte; expected tab-separated text, not binary data"),
        ["ragged, short"] = new(Text("0\t1\t2\n1\t3\n"), ":2:4:", "expected a label and 2 features, as on line 1; got a label and 1 feature"),
        ["ragged, long"] = new(Text("0\t1\t2\n1\t3\t4\t5\n"), ":2:7:", "expected a label and 2 features, as on line 1; got a label and 3 features"),
        ["non-numeric"] = new(Text("0\t1\t2\n1\tabc\t2\n"), ":2:3:", "expected a number for feature 1; got 'abc'"),
        ["empty field"] = new(Text("0\t1\t2\t\n"), ":1:7:", "expected a number for feature 3; got an empty field"),
        ["space-separated"] = new(Text("0 5.1 3.5\n1 6.2 2.9\n"), ":1:1:", "expected a label and features separated by tabs; got one field (the line is separated by spaces)"),
        ["comma-separated"] = new(Text("0,5.1,3.5\n1,6.2,2.9\n"), ":1:1:", "got one field (the line is separated by commas)"),
        ["comma decimals"] = new(Text("0\t5,1\t3,5\n1\t6,2\t2,9\n"), ":1:3:", "expected a number for feature 1; got '5,1' (use '.' as the decimal point)"),
        ["one class"] = new(Text(Rows(20, _ => 0)), ":", "all 20 data rows have the label 0; the classifier needs at least 2 classes"),
        ["1 row"] = new(Text("0\t1\t2\n"), ":", "1 data row, too few to hold out 20 % for testing; at least 5 are needed"),
        ["2 rows, one per class"] = new(Text("0\t1\t2\n1\t3\t4\n"), ":", "2 data rows, too few to hold out 20 % for testing; at least 5 are needed"),
        // ML.NET's split with seed 1 holds out the third of five rows.
        ["split leaves one class to train on"] = new(Text(Rows(5, row => row == 3 ? 1 : 0)), ":",
            "the 20 % split (seed 1) of its 5 data rows leaves 4 data rows to train on, all with the label 0; the classifier needs at least 2 classes"),
        ["split holds out a whole class"] = new(Text(Rows(7, row => row == 3 ? 2 : row % 2)), ":",
            "the 20 % split (seed 1) of its 7 data rows holds out every row with the label 2"),
        ["NaN feature"] = new(Text("# label, two features\n\n# from a sensor\n" + Rows(20, row => row % 2).Replace("0\t4\t8", "0\tNaN\t8")), ":7:3:",
            "feature 1 is NaN. Pass --nan skip to leave rows with NaN out."),
        ["NaN label"] = new(Text(Rows(20, row => row % 2) + "NaN\t1\t2\n"), ":21:1:", "the label is NaN. Pass --nan skip to leave rows with NaN out."),
        ["NaN in every row, skipped"] = new(Text("NaN\t1\t2\n0\tNaN\t2\n1\t1\tNaN\n"), ":", "no data rows: every one of its 3 rows holds NaN", "--nan", "skip"),
        ["infinite feature"] = new(Text(Rows(20, row => row % 2).Replace("1\t3\t6", "1\t3\tInfinity")), ":3:5:",
            "feature 2 is 'Infinity', not a finite number within the range of Single (±3.4e38)"),
        ["negative infinite feature"] = new(Text(Rows(20, row => row % 2).Replace("1\t3\t6", "1\t-Infinity\t6")), ":3:3:", "feature 1 is '-Infinity', not a finite number"),
        ["beyond float32"] = new(Text(Rows(20, row => row % 2).Replace("0\t2\t4", "0\t2\t1e39")), ":2:5:", "feature 2 is '1e39', not a finite number within the range of Single"),
    };

    /// <summary>Rows "label, row, 2·row" for row = 1..count, one per line.</summary>
    public static string Rows(int count, Func<int, int> label) =>
        string.Concat(Enumerable.Range(1, count).Select(row => $"{label(row)}\t{row}\t{2 * row}\n"));

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);
}
