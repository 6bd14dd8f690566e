#!/usr/bin/python3
"""Where a forward+backward's instructions go, by phase and by function, from the dumps that
`bench --instructions --dumps FOLDER` keeps (docs/benchmarks.md, "Where the instructions go"):

    dotnet run -c Release --project Interop.Cli -- bench --instructions --dumps /tmp/interop-dumps
    /usr/bin/python3 Interop.Benchmarks/callgrind_phases.py /tmp/interop-dumps                    # phases, every module
    /usr/bin/python3 Interop.Benchmarks/callgrind_phases.py /tmp/interop-dumps --functions "Softmax [8]"

Each dump is labelled "<contender>|pair P|N calls|calls" or "…|collection" (see InstructionCounter). Per contender,
pair P's figure is (longer − shorter) / (calls in longer − calls in shorter); the figures here are the mean
over the pairs, so they can differ from bench's medians by a few tenths of a percent. Managed frames are named from
the JIT's perf map that --dumps writes beside the dumps.

Phases are inclusive costs of the runtime's methods (callgrind's call costs): validate = the Function's validate;
forward math = its forward; runtime, forward = the rest of apply (node, edges, saved tensors, output wrapping);
backward math = its backward without reading the saved tensors; runtime, backward = the rest of the node's backward
callback; autograd.grad, engine = TorchSharp's autograd.grad and libtorch's engine without that callback; caller's
scope = the rest of the call (the caller's dispose scope, ending); collection = the compacting collection of what the
calls left. For the twin: forward = everything but autograd.grad and the dispose scope.
"""

import argparse
import bisect
import glob
import os
import re
import sys

PHASE_METHODS = {
    "validate": r"Interop\.Autograd\.BinaryFunction`1\[System\.__Canon\]::validate\(valuetype",
    "apply": r"Interop\.Autograd\.Function`1\[System\.__Canon\]::apply\(",
    "forward": r"Interop\.Autograd\.Function::Forward\(",
    "node backward": r"Interop\.Autograd\.GraphNode::Backward\(native",
    "backward": r"Interop\.Autograd\.Function::Backward\(",
    "saved tensors": r"Interop\.Autograd\.GraphNode::SavedTensors\(",
    "autograd.grad": r"TorchSharp\.torch\+autograd::grad\(",
    "dispose scope": r"TorchSharp\.DisposeScope::DisposeEverything\(\)",
}


class PerfMap:
    """The JIT's perf map: start, size and name of every method it compiled."""

    def __init__(self, folder):
        maps = glob.glob(os.path.join(folder, "perf-*.map"))
        if len(maps) != 1:
            raise SystemExit(f"{folder}: expected one perf-PID.map (written by bench --instructions --dumps); found {len(maps)}.")
        entries = []
        with open(maps[0]) as perf_map:
            for line in perf_map:
                start, size, name = line.rstrip("\n").split(" ", 2)
                entries.append((int(start, 16), int(size, 16), name))
        entries.sort()
        self._entries, self._starts = entries, [e[0] for e in entries]

    def name(self, address):
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._entries[i][0] + self._entries[i][1]:
            return self._entries[i][2]
        return "(managed, unnamed)"


def read_dump(path, perf_map):
    """(label, self cost per function, inclusive cost per function) of one dump; functions are 'name [object]', and
    JIT code (object ???) is named from the perf map."""
    object_names, function_names = {}, {}
    obj, function, called_object, called_function = "???", "?", None, None
    call_cost_next, label = False, None
    exclusive, inclusive = {}, {}

    def name(text, table):
        if not text.startswith("("):
            return text
        close = text.index(")")
        key, rest = text[:close + 1], text[close + 1:].strip()
        if rest:
            table[key] = rest
        return table[key]

    def key(object_file, function_name):
        if object_file == "???" and function_name.startswith("0x"):
            return perf_map.name(int(function_name.split("'")[0], 16))
        plain = re.sub(r"'[0-9]+", "", function_name)  # callgrind's suffix for a function's separate contexts
        return f"{plain} [{os.path.basename(object_file)}]"

    with open(path) as dump:
        for line in dump:
            line = line.rstrip("\n")
            if not line:
                continue
            if line[0].isdigit() or line[0] in "+-*":
                fields = line.split()
                cost = int(fields[1]) if len(fields) > 1 else 0
                here = key(obj, function)
                if call_cost_next:
                    call_cost_next = False
                    if key(called_object or obj, called_function) != here:  # a method's parts calling each other count once
                        inclusive[here] = inclusive.get(here, 0) + cost
                else:
                    exclusive[here] = exclusive.get(here, 0) + cost
                    inclusive[here] = inclusive.get(here, 0) + cost
            elif line.startswith("ob="):
                obj = name(line[3:], object_names)
            elif line.startswith("cob="):
                called_object = name(line[4:], object_names)
            elif line.startswith("fn="):
                function, called_object = name(line[3:], function_names), None
            elif line.startswith("cfn="):
                called_function = name(line[4:], function_names)
            elif line.startswith("calls="):
                call_cost_next = True
            elif line.startswith("desc: Trigger: Client Request: "):
                label = line[len("desc: Trigger: Client Request: "):]
    return label, exclusive, inclusive


def per_call(folder, perf_map):
    """{contender: {'calls': (exclusive, inclusive), 'collection': (exclusive, inclusive)}}, per call, mean over pairs."""
    blocks = {}  # in the order bench counted them
    dumps = glob.glob(os.path.join(folder, "callgrind.out.*"))
    for path in sorted(dumps, key=lambda p: int(p.rsplit(".", 1)[1]) if p.rsplit(".", 1)[1].isdigit() else 0):
        label, exclusive, inclusive = read_dump(path, perf_map)
        if label is None or label.count("|") != 3:
            continue
        contender, pair, calls, part = label.split("|")
        if pair != "pair 0":
            blocks.setdefault(contender, {}).setdefault(part, {}).setdefault(pair, {})[int(calls.split()[0])] = (exclusive, inclusive)
    if not blocks:
        raise SystemExit(f"{folder}: no labelled dumps (run bench --instructions --dumps {folder}).")
    result = {}
    for contender, parts in blocks.items():
        result[contender] = {}
        for part, pairs in parts.items():
            sums = ({}, {})
            for lengths in pairs.values():
                shorter, longer = min(lengths), max(lengths)
                for which in (0, 1):
                    for sign, length in ((-1, shorter), (1, longer)):
                        for function, cost in lengths[length][which].items():
                            sums[which][function] = sums[which].get(function, 0) + sign * cost / (longer - shorter) / len(pairs)
            result[contender][part] = sums
    return result


def method(inclusive, phase):
    return sum(cost for function, cost in inclusive.items() if re.search(PHASE_METHODS[phase], function))


def thousands(value):
    return f"{round(value / 1000, 1) + 0.0:.1f}"


def phases(counts):
    print("Thousands of instructions per forward+backward, by phase (inclusive), the mean over the pairs of blocks.")
    print()
    print("| module | x | hand-written | validate | forward math | runtime, forward | backward math | runtime, backward | autograd.grad, engine | "
          "caller's scope | collection | twin | twin forward | twin autograd.grad | twin scope | twin collection |")
    print("|---|---|" + "--:|" * 14)
    for contender in (c for c in counts if c.endswith(" hand-written")):
        module_shape = contender[:-len(" hand-written")]
        twin = counts.get(f"{module_shape} twin")
        if twin is None:
            continue
        hand_self, hand = counts[contender]["calls"]
        twin_self, twin_inclusive = twin["calls"]
        hand_total, twin_total = sum(hand_self.values()), sum(twin_self.values())
        hand_collection, twin_collection = sum(counts[contender]["collection"][0].values()), sum(twin["collection"][0].values())
        for phase in ("validate", "apply", "forward", "node backward", "backward", "autograd.grad"):
            if method(hand, phase) == 0:
                raise SystemExit(f"{contender}: no method matches {PHASE_METHODS[phase]} ({phase}): has the runtime changed its names?")
        validate, apply_, forward = method(hand, "validate"), method(hand, "apply"), method(hand, "forward")
        node_backward, backward, saved = method(hand, "node backward"), method(hand, "backward"), method(hand, "saved tensors")
        grad, twin_grad, twin_scope = method(hand, "autograd.grad"), method(twin_inclusive, "autograd.grad"), method(twin_inclusive, "dispose scope")
        module, shape = module_shape.split(" [", 1)
        cells = [hand_total + hand_collection, validate, forward, apply_ - validate - forward, backward - saved, node_backward - backward + saved,
                 grad - node_backward, hand_total - apply_ - grad, hand_collection, twin_total + twin_collection,
                 twin_total - twin_grad - twin_scope, twin_grad, twin_scope, twin_collection]
        print(f"| {module} | [{shape} | " + " | ".join(thousands(c) for c in cells) + " |")


def functions(counts, module_shape, top):
    hand, twin = counts.get(f"{module_shape} hand-written"), counts.get(f"{module_shape} twin")
    if hand is None or twin is None:
        raise SystemExit(f"no contender '{module_shape} hand-written' and twin in the dumps; contenders: {', '.join(sorted(counts))}")

    def self_cost(contender):
        total = dict(contender["calls"][0])
        for function, cost in contender["collection"][0].items():
            total[function] = total.get(function, 0) + cost
        return total

    hand_self, twin_self = self_cost(hand), self_cost(twin)
    print(f"{module_shape}: self instructions per call (calls and collection), hand-written − twin, the {top} largest differences.")
    print()
    print("| function [object] | hand-written | twin | difference |")
    print("|---|--:|--:|--:|")
    rows = sorted(set(hand_self) | set(twin_self), key=lambda f: -abs(hand_self.get(f, 0) - twin_self.get(f, 0)))
    for function in rows[:top]:
        h, t = hand_self.get(function, 0), twin_self.get(function, 0)
        print(f"| {function[:120].replace('|', '/')} | {h:.0f} | {t:.0f} | {h - t:+.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the folder given to bench --instructions --dumps")
    parser.add_argument("--functions", metavar="CONTENDER", help='e.g. "Softmax [8]": list functions by self cost, hand-written against twin')
    parser.add_argument("--top", type=int, default=25, help="rows for --functions (default 25)")
    arguments = parser.parse_args()
    if not os.path.isdir(arguments.folder):
        raise SystemExit(f"{arguments.folder}: no such folder.")
    counts = per_call(arguments.folder, PerfMap(arguments.folder))
    if arguments.functions:
        functions(counts, arguments.functions, arguments.top)
    else:
        phases(counts)


if __name__ == "__main__":
    main()
