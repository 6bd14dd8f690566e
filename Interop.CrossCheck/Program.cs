// Interop's side of the cross-check against PyTorch (docs/pytorch-crosscheck.md). .ci/pytorch-crosscheck runs:
//
//   dotnet run -c Release --project Interop.CrossCheck -- cases cases.json
//   /usr/bin/python3 Interop.CrossCheck/pytorch_side.py cases.json pytorch.json
//   dotnet run -c Release --project Interop.CrossCheck -- report cases.json pytorch.json
//
// `cases` writes issue 11's grid of cases and the wrong Functions' inputs. `report` reads them back with PyTorch's
// results, computes Interop's and the exact values of the same cases, compares element by element, runs the wrong
// Functions through Interop's gradcheck, and prints Markdown. Exit code 1 when PyTorch is right where Interop is not
// (beyond the known failures of KnownFailures.txt, or a known one no longer fails), or PyTorch's checks catch a wrong
// Function that Interop's gradcheck lets through; 2 when the comparison cannot be
// made (a wrong command line, a file that cannot be read, PyTorch's results missing a case or read from other bits).

using System.Globalization;
using Interop.CrossCheck;
using Interop.Tests.Numerics.Grid;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
try
{
    switch (args)
    {
        case ["cases", var path]:
            SharedFiles.Write(path, new CaseFile(
                [.. NumericsGrid.Cases.Select(SharedGridCase.From)],
                [.. WrongFunction.All.Select((function, i) => function.Inputs(seed: (ulong)i))]));
            return 0;
        case ["report", var casesPath, var pytorchPath]:
            var report = CrossCheckReport.Compute(SharedFiles.Read<CaseFile>(casesPath), SharedFiles.Read<PyTorchFile>(pytorchPath), KnownFailures.Read());
            Console.Write(report.ToMarkdown());
            return report.HasFailures ? 1 : 0;
        default:
            Console.Error.WriteLine("usage: Interop.CrossCheck cases CASES.json | report CASES.json PYTORCH.json");
            return 2;
    }
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Interop.CrossCheck: {e.Message}");
    return 2;
}
