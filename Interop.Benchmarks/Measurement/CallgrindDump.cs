namespace Interop.Benchmarks;

/// <summary>
/// One callgrind dump, read back: the instructions (event Ir) of every thread, and how they divide among the code's
/// places (<see cref="Place"/>) by self cost, the instructions executed in each object file's own code.
/// </summary>
/// <param name="Total">The dump's <c>totals:</c> line.</param>
/// <param name="ByPlace">Self instructions per <see cref="Place"/>; they add up to <paramref name="Total"/>.</param>
public sealed record CallgrindDump(long Total, IReadOnlyDictionary<string, long> ByPlace)
{
    /// <summary>Where code runs, in the order that tables list them.</summary>
    public static IReadOnlyList<string> Places { get; } = ["managed", "coreclr", "LibTorchSharp", "libtorch", "C/C++ runtime"];

    /// <summary>
    /// The place of an object file as callgrind names it: managed for JIT-compiled code (callgrind sees no file behind
    /// it, "???"); coreclr for the .NET runtime and its native libraries; LibTorchSharp for TorchSharp's native layer;
    /// libtorch for libtorch, c10 and its OpenMP; the C/C++ runtime (libc, libm, libstdc++, the loader) for the rest.
    /// </summary>
    public static string Place(string objectFile)
    {
        string name = Path.GetFileName(objectFile);
        return objectFile == "???" ? "managed"
            : name.StartsWith("libcoreclr", StringComparison.Ordinal) || name.StartsWith("libclrjit", StringComparison.Ordinal)
              || name.StartsWith("libSystem.", StringComparison.Ordinal) ? "coreclr"
            : name.StartsWith("libLibTorchSharp", StringComparison.Ordinal) ? "LibTorchSharp"
            : name.StartsWith("libtorch", StringComparison.Ordinal) || name.StartsWith("libc10", StringComparison.Ordinal)
              || name.StartsWith("libgomp", StringComparison.Ordinal) ? "libtorch"
            : "C/C++ runtime";
    }

    /// <summary>
    /// Reads <paramref name="path"/> in callgrind's format: cost lines add to the object named by the last
    /// <c>ob=</c> line (names may be compressed to "(id)"), except the line after <c>calls=</c>, which is the inclusive
    /// cost of a call, already counted where the callee's own lines are.
    /// </summary>
    public static CallgrindDump Read(string path)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"callgrind wrote no dump {path}: is the tool callgrind, and are its dumps numbered as expected?");
        var objectNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var byPlace = Places.ToDictionary(p => p, _ => 0L);
        string place = Place("???");
        int positions = 1;
        bool callCostNext = false;
        long? total = null;
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0)
                continue;
            char first = line[0];
            if (char.IsAsciiDigit(first) || first is '+' or '-' or '*')
            {
                if (callCostNext)
                {
                    callCostNext = false;
                    continue;
                }
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > positions)
                    byPlace[place] += long.Parse(fields[positions]);
            }
            else if (line.StartsWith("ob=", StringComparison.Ordinal))
                place = Place(ObjectName(line[3..], objectNames));
            else if (line.StartsWith("cob=", StringComparison.Ordinal))
                ObjectName(line[4..], objectNames); // may define a name that a later ob= refers to by id
            else if (line.StartsWith("calls=", StringComparison.Ordinal))
                callCostNext = true;
            else if (line.StartsWith("positions:", StringComparison.Ordinal))
                positions = line["positions:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            else if (line.StartsWith("totals:", StringComparison.Ordinal))
                total = long.Parse(line["totals:".Length..].Trim().Split(' ')[0]);
        }
        if (total is null)
            throw new InvalidOperationException($"{path} has no 'totals:' line.");
        if (total == 0)
            throw new InvalidOperationException($"{path} counts no instructions: was callgrind's instrumentation on (Callgrind.Instrumented)?");
        if (byPlace.Values.Sum() != total)
            throw new InvalidOperationException($"{path}: the self costs add up to {byPlace.Values.Sum()} instructions, not to its total of {total}.");
        return new CallgrindDump(total.Value, byPlace);
    }

    /// <summary>Resolves "(id) name", which defines id, or "(id)", which refers to it, or a plain name.</summary>
    private static string ObjectName(string text, Dictionary<string, string> names)
    {
        if (!text.StartsWith('('))
            return text;
        int close = text.IndexOf(')');
        string id = text[..(close + 1)];
        string rest = text[(close + 1)..].Trim();
        if (rest.Length > 0)
            names[id] = rest;
        return names.TryGetValue(id, out string? name) ? name : throw new InvalidOperationException($"a callgrind dump refers to object {id} before naming it.");
    }
}
