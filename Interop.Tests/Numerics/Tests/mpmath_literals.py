# Computes the mpmath literals that ExactMapTests and BigFloatTests embed. The derivatives come from mpmath.diff
# (numerical differentiation at raised precision) of the maps as the problem set defines them, so they share nothing
# with the C# reference but the definitions. Run: /usr/bin/python3 Interop.Tests/Numerics/Tests/mpmath_literals.py
from mpmath import mp, mpf, exp, log, diff, nstr

mp.dps = 60

def show(name, value):
    print(f'{name} = "{nstr(value, 45, min_fixed=1, max_fixed=0)}"')

for label, f in [("exp(1)", lambda: exp(1)), ("exp(-1)", lambda: exp(-1)), ("exp(0.1)", lambda: exp(mpf(0.1))),
                 ("exp(700)", lambda: exp(700)), ("exp(-745.25)", lambda: exp(mpf(-745.25))), ("exp(2^-60)", lambda: exp(mpf(2) ** -60)),
                 ("log(2)", lambda: log(2)), ("log(10)", lambda: log(10)), ("log(1e-300)", lambda: log(mpf(1e-300))),
                 ("log(0.75)", lambda: log(mpf(0.75))), ("log(1+2^-50)", lambda: log(1 + mpf(2) ** -50)), ("log(3*2^1000)", lambda: log(3 * mpf(2) ** 1000))]:
    show(label, f())

def maps():
    ex = lambda x, p: [exp(-p[0] * xi) for xi in x]
    cs = lambda x, p: [p[i] * xi for i, xi in enumerate(x)]
    gs = lambda x, p: [p[0] * xi for xi in x]
    def sm(x, p):
        total = sum(exp(-p[0] * xj) for xj in x)
        return [exp(-p[0] * xi) / total for xi in x]
    ls = lambda x, p: [-log(sum(exp(-p[0] * xj) for xj in x)) / p[0]]
    return [("Exponential", ex, False), ("ComponentScaling", cs, True), ("GlobalScaling", gs, False), ("Softmax", sm, False), ("LogSum", ls, False)]

def quantities(f, x, p, g, v, w):
    n, m = len(x), len(p)
    def at(t, s, c):
        xs = [x[j] + (t if c == j else 0) + s * v[j] for j in range(n)]
        ps = [p[k] + (t if c == n + k else 0) + s * w[k] for k in range(m)]
        return xs, ps
    energy = lambda xs, ps: sum(gi * yi for gi, yi in zip(g, f(xs, ps)))
    y = f(x, p)
    first = [diff(lambda t: energy(*at(t, 0, c)), 0) for c in range(n + m)]
    second = [diff(lambda t, s: energy(*at(t, s, c)), (0, 0), (1, 1)) for c in range(n + m)]
    jvp = [diff(lambda s: f(*at(0, s, -1))[i], 0) for i in range(len(y))]
    return y, first[:n], first[n:], second[:n], second[n:], jvp

x = [0.5, -1.25, 2.0]
v = [0.2, 0.4, -0.6]
for name, f, vector in maps():
    p = [2.0, -0.5, 3.0] if vector else [-1.5 if "Scaling" in name else 0.75]
    w = [0.1, -0.2, 0.3] if vector else [0.35]
    g = [0.9] if name == "LogSum" else [0.3, -1.1, 0.7]
    names = ["Output", "GradX", "GradParameter", "SecondX", "SecondParameter", "SecondUpstream"]
    for label, values in zip(names, quantities(f, [mpf(a) for a in x], [mpf(a) for a in p], g, v, w)):
        print(f'{name}.{label} = [{", ".join(chr(34) + nstr(a, 40, min_fixed=1, max_fixed=0) + chr(34) for a in values)}]')

sm, ls = maps()[3][1], maps()[4][1]
# Saturated rows, where the exact values are formed from terms near 1: mpmath needs the digits too (1200 at β = 700).
for beta, x, v, w, dps in [(40, [5, 6], [0, 0], [0], 60), (700, [0, 1], [0.5, -0.25], [0.125], 1200)]:
    with mp.workdps(dps):
        for name, f, g in [("Softmax", sm, [1, 2]), ("LogSum", ls, [1])]:
            values = quantities(f, [mpf(a) for a in x], [mpf(beta)], g, v, w)
            print(f'{name} x={x} beta={beta}: ' + "; ".join(", ".join(nstr(a, 40) for a in q) for q in values))
