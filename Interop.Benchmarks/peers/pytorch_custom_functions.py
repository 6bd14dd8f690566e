#!/usr/bin/python3
"""PyTorch's peers of Interop's Functions: the five maps of the problem set as Python torch.autograd.Function
subclasses with hand-written backward, against the same maps composed of built-in operations (autograd), counted in
instructions per forward+backward the way `bench --instructions` counts Interop (docs/benchmarks.md, "Instructions per
call"):

    /usr/bin/python3 Interop.Benchmarks/peers/pytorch_custom_functions.py          # Markdown tables, about 3 minutes
    /usr/bin/python3 Interop.Benchmarks/peers/pytorch_custom_functions.py --json

Run it with the Python that has PyTorch (Debian's python3-torch, 1.13, is /usr/bin/python3 here); it needs valgrind.
Before counting, every hand-written backward is checked against autograd of its composite, first order, in float64.

The script runs itself again under `valgrind --tool=callgrind`, instrumentation off until the counting starts. Per
contender, after a warm-up, pairs of blocks of n and 5n calls are counted from zeroed counters to a dump (callgrind's
client requests), each block ended by gc.collect(); a pair's difference over 4n is one call, every thread
included, and the median over five pairs is reported, with its self cost by place (the interpreter, torch's Python
binding, libtorch, the C/C++ runtime).
"""

import argparse
import ctypes
import gc
import json
import mmap
import os
import shutil
import subprocess
import sys
import tempfile

import torch

SHAPES = [(8,), (4096,)]
CALLS = 100  # the longer block under callgrind; the shorter one has a fifth of them
PAIRS = 5  # pairs of blocks under callgrind; the median pair is reported
OUT_FILE_VARIABLE = "INTEROP_CALLGRIND_OUT_FILE"
DETERMINISTIC_ENVIRONMENT = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# The maps, with the derivatives their backward passes evaluate; g = ∂E/∂y.

class Exponential(torch.autograd.Function):
    """y = exp(−β x): ∂E/∂x_i = −β g_i y_i, ∂E/∂β = −Σ_i g_i x_i y_i."""

    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-beta * x)
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = g * y
        grad_x = -beta * gy if ctx.needs_input_grad[0] else None
        grad_beta = -(x * gy).sum() if ctx.needs_input_grad[1] else None
        return grad_x, grad_beta


class ComponentScaling(torch.autograd.Function):
    """y_i = k_i x_i along the last dimension: ∂E/∂x_i = k_i g_i, ∂E/∂k_i = Σ_batch g_i x_i."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x, k)
        return k * x

    @staticmethod
    def backward(ctx, g):
        x, k = ctx.saved_tensors
        grad_x = k * g if ctx.needs_input_grad[0] else None
        grad_k = (g * x).sum_to_size(k.shape) if ctx.needs_input_grad[1] else None  # sums the batch dimensions away
        return grad_x, grad_k


class GlobalScaling(torch.autograd.Function):
    """y_i = k x_i: ∂E/∂x_i = k g_i, ∂E/∂k = Σ_i g_i x_i."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x, k)
        return k * x

    @staticmethod
    def backward(ctx, g):
        x, k = ctx.saved_tensors
        grad_x = k * g if ctx.needs_input_grad[0] else None
        grad_k = (g * x).sum() if ctx.needs_input_grad[1] else None
        return grad_x, grad_k


class Softmax(torch.autograd.Function):
    """y_i = exp(−β x_i) / Σ_j exp(−β x_j): with u_j = y_j (g_j − Σ_i g_i y_i), ∂E/∂x_j = −β u_j, ∂E/∂β = −Σ_j x_j u_j."""

    @staticmethod
    def forward(ctx, x, beta):
        y = torch.softmax(-beta * x, -1)
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        u = y * (g - (g * y).sum(-1, keepdim=True))
        grad_x = -beta * u if ctx.needs_input_grad[0] else None
        grad_beta = -(x * u).sum() if ctx.needs_input_grad[1] else None
        return grad_x, grad_beta


class LogSum(torch.autograd.Function):
    """y = −(1/β) log Σ_j exp(−β x_j): with p = softmax(−β x), ∂E/∂x_j = g p_j, ∂E/∂β = Σ_rows g (Σ_j p_j x_j − y) / β."""

    @staticmethod
    def forward(ctx, x, beta):
        y = -torch.logsumexp(-beta * x, -1) / beta
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        p = torch.softmax(-beta * x, -1)
        grad_x = g.unsqueeze(-1) * p if ctx.needs_input_grad[0] else None
        grad_beta = (g * ((p * x).sum(-1) - y)).sum() / beta if ctx.needs_input_grad[1] else None
        return grad_x, grad_beta


# The same maps from built-in operations, as Interop.Reference.AutogradTwins writes them.
COMPOSITES = {
    "Exponential": lambda x, beta: torch.exp(-beta * x),
    "ComponentScaling": lambda x, k: k * x,
    "GlobalScaling": lambda x, k: k * x,
    "Softmax": lambda x, beta: torch.softmax(-beta * x, -1),
    "LogSum": lambda x, beta: -torch.logsumexp(-beta * x, -1) / beta,
}
FUNCTIONS = {f.__name__: f.apply for f in (Exponential, ComponentScaling, GlobalScaling, Softmax, LogSum)}


class PassThrough(torch.autograd.Function):
    """y = x through a custom Function that does no arithmetic: the fixed cost of Python's custom-Function node."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g


PASS_THROUGHS = {"built-in view_as": lambda x: x.view_as(x), "Python autograd.Function": PassThrough.apply}


def make_parameter(module, features, dtype):
    """1.3 as a 0-d tensor, or for K a vector spread around it as Interop's ModuleMap.MakeParameter makes it."""
    if module != "ComponentScaling":
        return torch.tensor(1.3, dtype=dtype)
    spread = torch.zeros(1, dtype=torch.float64) if features == 1 else torch.linspace(-0.25, 0.25, features, dtype=torch.float64)
    return ((spread + 1) * 1.3).to(dtype)


class Workload:
    """x and the parameter as leaves that require grad, and a fixed g = ∂E/∂y, as Interop.Benchmarks' Workload."""

    def __init__(self, module, shape, dtype=torch.float32, seed=1):
        generator = torch.Generator().manual_seed(seed)
        self.x = torch.randn(shape, dtype=dtype, generator=generator).requires_grad_()
        self.parameter = make_parameter(module, shape[-1], dtype).requires_grad_()
        with torch.no_grad():
            self.g = torch.randn(COMPOSITES[module](self.x, self.parameter).shape, dtype=dtype, generator=generator)

    def forward_backward(self, map_):
        y = map_(self.x, self.parameter)
        torch.autograd.grad([y], [self.x, self.parameter], [self.g])

    def pass_through(self, apply):
        y = apply(self.x)
        torch.autograd.grad([y], [self.x], [y])


def check_backward():
    """Every hand-written backward against autograd of its composite, in float64, batched input."""
    for module, function in FUNCTIONS.items():
        workload = Workload(module, (3, 5), torch.float64, seed=2)
        inputs = [workload.x, workload.parameter]
        hand = torch.autograd.grad([function(*inputs)], inputs, [workload.g])
        composite = torch.autograd.grad([COMPOSITES[module](*inputs)], inputs, [workload.g])
        for name, h, c in zip(("x", "parameter"), hand, composite):
            if not torch.allclose(h, c, rtol=1e-12, atol=1e-12):
                raise SystemExit(f"{module}: the hand-written ∂E/∂{name} differs from autograd's: {h} against {c}")


def contenders(shape):
    """(row name, callable) for every pass-through, then every module's hand-written Function and composite."""
    first = Workload("Exponential", shape)
    for name, apply in PASS_THROUGHS.items():
        yield ("pass-through", name), (lambda a=apply: first.pass_through(a))
    for module in FUNCTIONS:
        workload = Workload(module, shape)
        yield (module, "hand-written"), (lambda w=workload, f=FUNCTIONS[module]: w.forward_backward(f))
        yield (module, "composite"), (lambda w=workload, f=COMPOSITES[module]: w.forward_backward(f))


# Callgrind's client requests: valgrind.h's inline-assembly sequence for amd64 in an executable page, called through
# ctypes as `unsigned long request(unsigned long *args, unsigned long fallback)` (see Interop.Benchmarks' Callgrind.cs).
CLIENT_REQUEST_CODE = bytes([
    0x48, 0x89, 0xF8,        # mov rax, rdi
    0x48, 0x89, 0xF2,        # mov rdx, rsi
    0x48, 0xC1, 0xC7, 0x03,  # rol rdi, 3
    0x48, 0xC1, 0xC7, 0x0D,  # rol rdi, 13
    0x48, 0xC1, 0xC7, 0x3D,  # rol rdi, 61
    0x48, 0xC1, 0xC7, 0x33,  # rol rdi, 51
    0x48, 0x87, 0xDB,        # xchg rbx, rbx
    0x48, 0x89, 0xD0,        # mov rax, rdx
    0xC3,                    # ret
])
RUNNING_ON_VALGRIND = 0x1001
ZERO_STATS, DUMP_STATS_AT, START_INSTRUMENTATION, STOP_INSTRUMENTATION = 0x43540001, 0x43540003, 0x43540004, 0x43540005
PLACES = ["Python", "torch's Python binding", "libtorch", "C/C++ runtime"]


def place_of(object_file):
    """Where code runs: the interpreter, torch's Python binding (_C, libtorch_python), libtorch (libtorch_cpu, c10,
    OpenMP, BLAS), or the C/C++ runtime (libc, libm, libstdc++, the loader) for the rest."""
    name = os.path.basename(object_file)
    if name.startswith(("python3", "libpython")):
        return "Python"
    if name.startswith(("libtorch_python", "_C.")):
        return "torch's Python binding"
    if name.startswith(("libtorch", "libc10", "libgomp", "libopenblas", "libblas", "liblapack", "libsleef", "libdnnl", "libmkl")):
        return "libtorch"
    return "C/C++ runtime"


def read_dump(path):
    """(total, self instructions per place) of a callgrind dump, as Interop.Benchmarks' CallgrindDump.Read."""
    names, by_place, place, positions, call_cost_next, total = {}, dict.fromkeys(PLACES, 0), "C/C++ runtime", 1, False, None

    def object_name(text):
        if not text.startswith("("):
            return text
        close = text.index(")")
        key, rest = text[:close + 1], text[close + 1:].strip()
        if rest:
            names[key] = rest
        return names[key]

    with open(path) as dump:
        for line in dump:
            line = line.rstrip("\n")
            if not line:
                continue
            if line[0].isdigit() or line[0] in "+-*":
                if call_cost_next:
                    call_cost_next = False
                    continue
                fields = line.split()
                if len(fields) > positions:
                    by_place[place] += int(fields[positions])
            elif line.startswith("ob="):
                place = place_of(object_name(line[3:]))
            elif line.startswith("cob="):
                object_name(line[4:])
            elif line.startswith("calls="):
                call_cost_next = True
            elif line.startswith("positions:"):
                positions = len(line.split()) - 1
            elif line.startswith("totals:"):
                total = int(line.split()[1])
    if total is None or total == 0 or sum(by_place.values()) != total:
        raise RuntimeError(f"{path}: no usable totals line (is callgrind's instrumentation on?)")
    os.remove(path)
    return total, by_place


class Callgrind:
    def __init__(self):
        self._page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        self._page.write(CLIENT_REQUEST_CODE)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        prototype = ctypes.CFUNCTYPE(ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.c_ulong)
        self._request = prototype(address)
        self._dumps = 0

    def request(self, code, argument=0):
        return self._request((ctypes.c_ulong * 6)(code, argument, 0, 0, 0, 0), 0)

    def is_running(self):
        return self.request(RUNNING_ON_VALGRIND) != 0

    def count(self, block):
        """Zeroes the counters, runs block(), dumps: returns the dump's path, to be read once instrumentation is off."""
        label = ctypes.create_string_buffer(b"block")
        self.request(ZERO_STATS)
        block()
        self.request(DUMP_STATS_AT, ctypes.addressof(label))
        self._dumps += 1
        return f"{os.environ[OUT_FILE_VARIABLE]}.{self._dumps}"


def count_per_call(callgrind, call, calls=CALLS, pairs=PAIRS):
    """The median over pairs of (longer − shorter) / 4n for blocks of n and 5n calls, after a warm-up (and a warm-up
    block for the measuring code), as Interop.Benchmarks' InstructionCounter; with the median pair's self cost by place.
    Reference counting frees a call's tensors inside the call, so the collection that ends each block only looks for
    cycles; it is counted with the block."""
    def block(n):
        def run():
            for _ in range(n):
                call()
            gc.collect()
        gc.collect()
        return callgrind.count(run)

    for _ in range(20):
        call()
    callgrind.request(START_INSTRUMENTATION)
    block(calls // 5)
    counted = [(block(calls // 5), block(calls)) for _ in range(pairs)]
    callgrind.request(STOP_INSTRUMENTATION)
    difference = calls - calls // 5
    figures = []
    for shorter, longer in counted:
        (shorter_total, shorter_places), (longer_total, longer_places) = read_dump(shorter), read_dump(longer)
        figures.append({
            "instructions": (longer_total - shorter_total) / difference,
            "by_place": {p: (longer_places[p] - shorter_places[p]) / difference for p in PLACES},
        })
    figures.sort(key=lambda f: f["instructions"])
    return dict(figures[pairs // 2], lowest=figures[0]["instructions"], highest=figures[-1]["instructions"])


def measure():
    callgrind = Callgrind()
    torch.set_num_threads(1)
    gc.disable()  # collections only where count_per_call asks for them, so that each falls inside one block
    rows = []
    for shape in SHAPES:
        for (row, column), call in contenders(shape):
            rows.append(dict(row=row, column=column, shape=list(shape), **count_per_call(callgrind, call)))
    return rows


def run_under_callgrind(json_output):
    if shutil.which("valgrind") is None:
        raise SystemExit("this script runs valgrind, which is not on PATH (Debian: apt-get install valgrind).")
    with tempfile.TemporaryDirectory(prefix="pytorch-callgrind-") as directory:
        out_file = os.path.join(directory, "callgrind.out")
        log_file = os.path.join(directory, "valgrind.log")
        environment = dict(os.environ, **DETERMINISTIC_ENVIRONMENT, **{OUT_FILE_VARIABLE: out_file})
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}", f"--log-file={log_file}",
                   sys.executable, os.path.abspath(__file__)] + (["--json"] if json_output else [])
        child = subprocess.run(command, env=environment, stderr=subprocess.PIPE, text=True)
        if child.returncode != 0:
            lines = [line for line in child.stderr.splitlines() if line.strip()]
            if not lines and os.path.exists(log_file):
                with open(log_file) as log:
                    lines = [line for line in log.read().splitlines() if line.strip()]
            raise SystemExit(f"the count under valgrind failed (exit code {child.returncode}): {lines[-1] if lines else 'no message'}")


def thousands(value):
    return f"{round(value / 1000, 1) + 0.0:.1f}"  # + 0.0 turns a rounded -0.0 into 0.0


def write_markdown(rows):
    print("Instructions per forward+backward (`torch.autograd.grad` of ⟨g, y⟩ with respect to x and the parameter), in thousands:")
    print(f"valgrind --tool=callgrind, every thread counted, PyTorch {torch.__version__} (Debian), float32, torch.set_num_threads(1). Each figure")
    print(f"is the median of {PAIRS} pairs of blocks of {CALLS // 5} and {CALLS} calls, each block ended by gc.collect() (counted) and the pair")
    print(f"differenced; the range is the lowest and highest pair. Environment: {' '.join(f'`{k}={v}`' for k, v in DETERMINISTIC_ENVIRONMENT.items())}.")
    print()
    cell = {(r["row"], r["column"], tuple(r["shape"])): r for r in rows}
    print("| pass-through | x | k instructions | range |")
    print("|---|---|--:|--:|")
    for shape in SHAPES:
        for name in PASS_THROUGHS:
            r = cell[("pass-through", name, shape)]
            print(f"| {name} | {list(shape)} | {thousands(r['instructions'])} | {thousands(r['lowest'])}–{thousands(r['highest'])} |")
    print()
    print("| module | x | hand-written k | composite k | ratio | hand-written range | composite range |")
    print("|---|---|--:|--:|--:|--:|--:|")
    for shape in SHAPES:
        for module in FUNCTIONS:
            hand, composite = cell[(module, "hand-written", shape)], cell[(module, "composite", shape)]
            print(f"| {module} | {list(shape)} | {thousands(hand['instructions'])} | {thousands(composite['instructions'])} | "
                  f"**{hand['instructions'] / composite['instructions']:.2f}** | {thousands(hand['lowest'])}–{thousands(hand['highest'])} | "
                  f"{thousands(composite['lowest'])}–{thousands(composite['highest'])} |")
    print()
    print("Where they run, in thousands of instructions per call by self cost (the median pair): Python = the interpreter,")
    print("torch's Python binding = torch._C and libtorch_python, libtorch = libtorch_cpu, c10, OpenMP and BLAS, C/C++ runtime = libc")
    print("(malloc), libstdc++ and the rest.")
    print()
    print(f"| what | x | total | {' | '.join(PLACES)} |")
    print(f"|---|---|--:|{'--:|' * len(PLACES)}")
    for r in rows:
        what = f"pass-through: {r['column']}" if r["row"] == "pass-through" else f"{r['row']} {r['column']}"
        print(f"| {what} | {r['shape']} | {thousands(r['instructions'])} | {' | '.join(thousands(r['by_place'][p]) for p in PLACES)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    arguments = parser.parse_args()
    check_backward()
    callgrind = Callgrind()
    if not callgrind.is_running():
        run_under_callgrind(arguments.json)
        return
    rows = measure()
    if arguments.json:
        print(json.dumps({"torch": torch.__version__, "dtype": "float32", "threads": 1, "environment": DETERMINISTIC_ENVIRONMENT, "rows": rows}, indent=2))
    else:
        write_markdown(rows)


if __name__ == "__main__":
    main()
