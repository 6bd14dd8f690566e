#!/usr/bin/python3
"""PyTorch's peers of Interop's Functions: the five maps of the problem set as Python torch.autograd.Function
subclasses with hand-written backward, against the same maps composed of built-in operations (autograd), measured
forward+backward the way `bench --instructions` measures Interop (docs/benchmarks.md, "Instructions per call").

    /usr/bin/python3 Interop.Benchmarks/peers/pytorch_custom_functions.py --instructions   # callgrind, a few minutes
    /usr/bin/python3 Interop.Benchmarks/peers/pytorch_custom_functions.py --time           # interleaved medians

Run it with the Python that has PyTorch (Debian's python3-torch, 1.13, is /usr/bin/python3 here). Before measuring,
every hand-written backward is checked against autograd of its composite, first order, in float64.

Instructions: the script runs itself again under `valgrind --tool=callgrind` and counts, per contender, pairs of blocks
of n and 5n calls from zeroed counters to a dump (callgrind's client requests), each block ended by a garbage
collection; a pair's difference over 4n is one call, every thread included, and the median over five pairs is
reported. Time: contenders alternate in blocks of about 2 ms, round after round, and each figure is the median over
the rounds.
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
import time

import torch

SHAPES = [(8,), (4096,)]
CALLS = 100  # the longer block under callgrind; the shorter one has a fifth of them
PAIRS = 5  # pairs of blocks under callgrind; the median pair is reported
OUT_FILE_VARIABLE = "INTEROP_CALLGRIND_OUT_FILE"
DETERMINISTIC_ENVIRONMENT = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


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
RUNNING_ON_VALGRIND, ZERO_STATS, DUMP_STATS_AT = 0x1001, 0x43540001, 0x43540003


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

    def instructions(self, block):
        """Instructions of every thread while block() runs, from the dump callgrind writes at the end of it."""
        label = ctypes.create_string_buffer(b"block")
        self.request(ZERO_STATS)
        block()
        self.request(DUMP_STATS_AT, ctypes.addressof(label))
        self._dumps += 1
        with open(f"{os.environ[OUT_FILE_VARIABLE]}.{self._dumps}") as dump:
            for line in dump:
                if line.startswith("totals:"):
                    return int(line.split()[1])
        raise RuntimeError(f"dump {self._dumps} has no totals line")


def count_per_call(callgrind, call, calls=CALLS, pairs=PAIRS):
    """The median over pairs of (longer − shorter) / 4n for blocks of n and 5n calls, after a warm-up (and a warm-up
    block for the measuring code), as Interop.Benchmarks' InstructionCounter."""
    def block(n):
        def run():
            for _ in range(n):
                call()
            gc.collect()
        gc.collect()
        return callgrind.instructions(run)
    for _ in range(20):
        call()
    block(calls // 5)
    figures = []
    for _ in range(pairs):
        shorter, longer = block(calls // 5), block(calls)
        figures.append((longer - shorter) / (calls - calls // 5))
    return sorted(figures)[pairs // 2]


def measure_instructions():
    callgrind = Callgrind()
    torch.set_num_threads(1)
    gc.disable()  # collections only where count_per_call asks for them, so that each falls inside one block
    rows = []
    for shape in SHAPES:
        for (row, column), call in contenders(shape):
            rows.append({"row": row, "column": column, "shape": list(shape), "instructions": count_per_call(callgrind, call)})
    return rows


def run_under_callgrind(json_output):
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions runs valgrind, which is not on PATH (Debian: apt-get install valgrind).")
    with tempfile.TemporaryDirectory(prefix="pytorch-callgrind-") as directory:
        out_file = os.path.join(directory, "callgrind.out")
        log_file = os.path.join(directory, "valgrind.log")
        environment = dict(os.environ, **DETERMINISTIC_ENVIRONMENT, **{OUT_FILE_VARIABLE: out_file})
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", f"--log-file={log_file}",
                   sys.executable, os.path.abspath(__file__), "--instructions"] + (["--json"] if json_output else [])
        child = subprocess.run(command, env=environment)
        if child.returncode != 0:
            with open(log_file) as log:
                sys.stderr.write("".join(log.readlines()[-20:]))
            raise SystemExit(f"the run under valgrind failed with exit code {child.returncode}; the end of its log is above")


def measure_time(rounds=21, block_seconds=0.002):
    """Medians over rounds of interleaved blocks, one block per contender per round, the order rotating."""
    torch.set_num_threads(1)
    rows = []
    for shape in SHAPES:
        named = list(contenders(shape))
        calls = []
        for _, call in named:
            for _ in range(20):
                call()
            once = min(timed(call, 1) for _ in range(5))
            calls.append(max(1, int(block_seconds / once)))
        times = [[] for _ in named]
        for round_ in range(rounds):
            for k in range(len(named)):
                i = (k + round_) % len(named)
                times[i].append(timed(named[i][1], calls[i]))
        for ((row, column), _), samples in zip(named, times):
            rows.append({"row": row, "column": column, "shape": list(shape), "microseconds": sorted(samples)[rounds // 2] * 1e6})
    return rows


def timed(call, calls):
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def write_table(rows, quantity, unit_format, heading):
    print(heading)
    print(f"PyTorch {torch.__version__}, float32, 1 thread (torch.set_num_threads(1)), forward+backward with torch.autograd.grad.")
    print()
    cell = {(r["row"], r["column"], tuple(r["shape"])): r[quantity] for r in rows}
    for shape in SHAPES:
        for name in PASS_THROUGHS:
            print(f"{'pass-through: ' + name:<42}{str(list(shape)):<9}{unit_format(cell[('pass-through', name, shape)]):>14}")
    print()
    print(f"{'module':<17}{'x':<9}{'hand-written':>14}{'composite':>14}{'ratio':>7}")
    for shape in SHAPES:
        for module in FUNCTIONS:
            hand, composite = cell[(module, "hand-written", shape)], cell[(module, "composite", shape)]
            print(f"{module:<17}{str(list(shape)):<9}{unit_format(hand):>14}{unit_format(composite):>14}{hand / composite:>7.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--instructions", action="store_true", help="count instructions per call under callgrind")
    mode.add_argument("--time", action="store_true", help="time in interleaved rounds (medians)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    arguments = parser.parse_args()
    check_backward()
    if arguments.instructions and not Callgrind().is_running():
        run_under_callgrind(arguments.json)
        return
    if arguments.instructions:
        rows, quantity, unit_format = measure_instructions(), "instructions", lambda v: f"{v:,.0f}"
        heading = (f"Instructions per forward+backward (valgrind --tool=callgrind, every thread): the median of {PAIRS} pairs of blocks of "
                   f"{CALLS // 5} and {CALLS} calls, each ended by gc.collect(), differenced. {' '.join(f'{k}={v}' for k, v in DETERMINISTIC_ENVIRONMENT.items())}.")
    else:
        rows, quantity, unit_format = measure_time(), "microseconds", lambda v: f"{v:.1f} µs"
        heading = "Median time per forward+backward over 21 interleaved rounds of ~2 ms blocks."
    if arguments.json:
        print(json.dumps({"torch": torch.__version__, "dtype": "float32", "threads": 1, "rows": rows}, indent=2))
    else:
        write_table(rows, quantity, unit_format, heading)


if __name__ == "__main__":
    main()
