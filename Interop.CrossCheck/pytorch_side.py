#!/usr/bin/python3
"""PyTorch's side of the cross-check (see docs/pytorch-crosscheck.md). Run with Debian's /usr/bin/python3, which has torch.

    /usr/bin/python3 Interop.CrossCheck/pytorch_side.py cases.json pytorch.json

cases.json is written by `Interop.CrossCheck cases`: the grid cases (x, the parameter, the upstream gradient g and the
direction (v, w) of the second-order products) and the inputs of the wrong Functions. For every grid case this
computes, with plain autograd of the map written as a PyTorch user would write it, the quantities Interop's side
computes: y; dE/dx and dE/dp (E = sum g*y) without and with create_graph; and the gradients of
S = <dE/dx, v> + <dE/dp, w> with respect to x, p and g. Every wrong Function (each a torch.autograd.Function written
like its C# twin on Interop.Autograd) goes through torch.autograd.gradcheck and gradgradcheck with their defaults.

Numbers travel as JSON numbers, which both sides read and write to the last bit; non-finite ones as the strings
"NaN", "Infinity" and "-Infinity" (System.Text.Json's named literals). The inputs are echoed back as PyTorch read
them, so that Interop's side can check that both saw the same bits.
"""

import json
import math
import re
import sys

import torch
from torch.autograd.gradcheck import GradcheckError

MEASURES = [
    "Output/Forward",
    "GradX/Plain", "GradX/Recorded",
    "GradParameter/Plain", "GradParameter/Recorded",
    "SecondX/Recorded", "SecondParameter/Recorded", "SecondUpstream/Recorded",
]

MAPS = {
    "Exponential": lambda x, beta: torch.exp(-beta * x),
    "ComponentScaling": lambda x, k: k * x,
    "GlobalScaling": lambda x, k: k * x,
    "Softmax": lambda x, beta: torch.softmax(-beta * x, dim=-1),
    "LogSum": lambda x, beta: -torch.logsumexp(-beta * x, dim=-1) / beta,
}

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def read_number(value):
    return float(value) if isinstance(value, str) else value


def write_number(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def make(values, shape, dtype):
    """A tensor of `dtype` holding `values`, through float64 exactly as Interop's side makes it."""
    return torch.tensor([read_number(v) for v in values], dtype=torch.float64).reshape(shape).to(dtype)


def flat(t):
    return [write_number(v) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


def grid_case(case):
    dtype = DTYPES[case["dtype"]]
    f = MAPS[case["module"]]
    x = make(case["x"], case["shape"], dtype).requires_grad_()
    p = make(case["parameter"], case["parameterShape"], dtype).requires_grad_()
    g = make(case["upstream"], case["outputShape"], dtype).requires_grad_()
    v = make(case["directionX"], case["shape"], dtype)
    w = make(case["directionParameter"], case["parameterShape"], dtype)
    echo = {"x": flat(x), "parameter": flat(p), "upstream": flat(g), "directionX": flat(v), "directionParameter": flat(w)}
    try:
        y = f(x, p)
        plain = torch.autograd.grad(y, [x, p], g)
        recorded = torch.autograd.grad(f(x, p), [x, p], g, create_graph=True)
        s = (recorded[0] * v).sum() + (recorded[1] * w).sum()
        leaves = [x, p, g]
        second = [d if d is not None else torch.zeros_like(leaf)
                  for d, leaf in zip(torch.autograd.grad(s, leaves, allow_unused=True), leaves)]
    except RuntimeError as e:
        return {"id": case["id"], "inputs": echo, "error": f"{type(e).__name__}: {first_sentence(e)}"}
    values = [y, plain[0], recorded[0], plain[1], recorded[1], second[0], second[1], second[2]]
    return {"id": case["id"], "inputs": echo, "values": {m: flat(t) for m, t in zip(MEASURES, values)}}


def first_sentence(error):
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return re.split(r"\.\s", lines[0])[0].rstrip(",.")


# The wrong Functions, each the twin of the C# class of the same name (Interop.Tests/Checking/WrongFunctions and
# Interop.CrossCheck/WrongFunctions), whose comment says what is wrong. Inputs: x [..., N] and a parameter.

class BetaSignErrorExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        return g * y * -beta, (g * x * y).sum()


class DetachedOutputExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        y = y.detach()
        return g * y * -beta, -(g * x * y).sum()


class FirstRowOnlyComponentScalingFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x, k)
        return x * k

    @staticmethod
    def backward(ctx, g):
        x, k = ctx.saved_tensors
        return g * k, (g * x).reshape(-1, k.shape[0])[0]


class IgnoresGradOutputExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        return y * -beta, -(x * y).sum()


class LastColumnDroppedExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = g * y
        return (gy * -beta)[:, :-1], -(gy * x).sum()


class NoisyBackwardExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = g * y * (1 + 1e-9 * torch.rand_like(y))
        return gy * -beta, -(gy * x).sum()


class XSignErrorSoftmaxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.softmax(x * -beta, -1)
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        u = y * (g - (g * y).sum(-1, keepdim=True))
        return u * beta, -(x * u).sum()


class WholeBatchSumSoftmaxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.softmax(x * -beta, -1)
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        u = y * (g - (g * y).sum())
        return u * -beta, -(x * u).sum()


class MissingInverseBetaLogSumFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = -torch.logsumexp(x * -beta, -1) / beta
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        s = torch.softmax(x * -beta, -1)
        return g.unsqueeze(-1) * s, (g * ((s * x).sum(-1) - y)).sum()


class TransposedGradientComponentScalingFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x, k)
        return x * k

    @staticmethod
    def backward(ctx, g):
        x, k = ctx.saved_tensors
        return (g * k).t(), (g * x).reshape(-1, k.shape[0]).sum(0)


class MeanInsteadOfSumGlobalScalingFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x, k)
        return x * k

    @staticmethod
    def backward(ctx, g):
        x, k = ctx.saved_tensors
        return g * k, (g * x).mean()


class GradOutputTwiceExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = g * y * g
        return gy * -beta, -(gy * x).sum()


class DetachedGradOutputExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = g.detach() * y
        return gy * -beta, -(gy * x).sum()


class Float32GradientExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = (g * y).float()
        return gy * -beta.float(), -(gy * x.float()).sum()


class InPlaceOnSavedOutputExponentialFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta):
        y = torch.exp(-(x * beta))
        ctx.save_for_backward(x, beta, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, beta, y = ctx.saved_tensors
        gy = y.mul_(g)
        return gy * -beta, -(gy * x).sum()


# Every Function defined above, by name.
WRONG_FUNCTIONS = {cls.__name__: cls for cls in torch.autograd.Function.__subclasses__() if cls.__module__ == __name__}


def verdict(check, function, inputs):
    """Whether `check` (gradcheck or gradgradcheck, with PyTorch's defaults) catches the bug, and the first sentence of why."""
    try:
        check(function.apply, inputs)
        return {"caught": False, "reason": "passed"}
    except GradcheckError as e:
        return {"caught": True, "reason": first_sentence(e)}
    except RuntimeError as e:
        return {"caught": True, "reason": f"raised {type(e).__name__}: {first_sentence(e)}"}


def wrong_function(case):
    function = WRONG_FUNCTIONS.get(case["name"])
    if function is None:
        raise SystemExit(f"pytorch_side.py: no torch.autograd.Function is named {case['name']!r} (the C# side has it).")

    def inputs():
        return (make(case["x"], case["shape"], torch.float64).requires_grad_(),
                make(case["parameter"], case["parameterShape"], torch.float64).requires_grad_())

    torch.manual_seed(0)
    first = verdict(torch.autograd.gradcheck, function, inputs())
    second = verdict(torch.autograd.gradgradcheck, function, inputs())
    return {"name": case["name"], "gradcheck": first, "gradgradcheck": second}


def main(argv):
    if len(argv) != 3:
        print("usage: /usr/bin/python3 pytorch_side.py CASES.json OUT.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    torch.set_num_threads(1)
    result = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "grid": [grid_case(case) for case in cases["grid"]],
        "wrongFunctions": [wrong_function(case) for case in cases["wrongFunctions"]],
    }
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f, allow_nan=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
