"""Checks and cleans a notebook that `dotnet repl` has executed; used by notebooks/run.

    python3 executed_notebook.py check EXECUTED.ipynb PACKAGES_PROPS
        Prints one line per problem and exits 1 if there is any: an output of type `error`, or a
        `#r "nuget: NAME, VERSION"` whose NAME Directory.Packages.props does not pin or whose VERSION
        differs from the one it pins (the notebooks reference the library's dependencies themselves,
        TorchSharp, ML.NET and the ONNX packages among them, so they must follow the library's versions).

    python3 executed_notebook.py clean EXECUTED.ipynb DESTINATION.ipynb
        Writes the executed notebook to DESTINATION without what changes from run to run or from machine
        to machine, so that re-running an unchanged notebook leaves `git diff` empty.
"""

import json
import re
import sys
import xml.etree.ElementTree as ElementTree

NUGET_REFERENCE = re.compile(r'^\s*#r\s+"nuget:\s*([^,"]+?)\s*,\s*([^"]+?)\s*"', re.MULTILINE)

# Metadata that dotnet repl stamps on every cell, markdown included, with wall-clock times.
VOLATILE_CELL_METADATA = ("dotnet_repl_cellExecutionStartTime", "dotnet_repl_cellExecutionEndTime")


def text(lines):
    return lines if isinstance(lines, str) else "".join(lines)


def code_cells(notebook):
    return [(number, cell) for number, cell in enumerate(notebook["cells"], start=1) if cell["cell_type"] == "code"]


def errors(notebook):
    for number, cell in code_cells(notebook):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = output.get("evalue", "").strip().splitlines() or ["(no message)"]
                yield f"cell {number}: {output.get('ename', 'Error')}: {message[0]}"


def pinned_versions(packages_props):
    root = ElementTree.parse(packages_props).getroot()
    # An exact pin is written as a range of one version, "[1.2.3]"; a notebook's #r names the version itself.
    return {item.get("Include").lower(): item.get("Version").strip("[]") for item in root.iter("PackageVersion")}


def version_drift(notebook, pinned):
    for number, cell in code_cells(notebook):
        for name, version in NUGET_REFERENCE.findall(text(cell["source"])):
            expected = pinned.get(name.lower())
            if expected is None:
                yield f"cell {number}: references {name} {version}, which Directory.Packages.props does not pin"
            elif version != expected:
                yield f"cell {number}: references {name} {version}, but Directory.Packages.props pins {expected}"


def is_volatile(output):
    """Package-install progress (one display per tick) and the extension-loading notice, which names local paths."""
    data = output.get("data", {})
    html = text(data.get("text/html", ""))
    plain = text(data.get("text/plain", ""))
    return "<strong>Installing Packages</strong>" in html or plain.startswith("Loading extensions from ")


def clean(notebook):
    for cell in notebook["cells"]:
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
    for _, cell in code_cells(notebook):
        cell["outputs"] = [output for output in cell.get("outputs", []) if not is_volatile(output)]
        cell["execution_count"] = None
    return notebook


def load(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def main(arguments):
    if len(arguments) == 3 and arguments[0] == "check":
        notebook = load(arguments[1])
        problems = list(errors(notebook)) + list(version_drift(notebook, pinned_versions(arguments[2])))
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    if len(arguments) == 3 and arguments[0] == "clean":
        notebook = clean(load(arguments[1]))
        with open(arguments[2], "w", encoding="utf-8") as file:
            json.dump(notebook, file, indent=1, ensure_ascii=False)
            file.write("\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
