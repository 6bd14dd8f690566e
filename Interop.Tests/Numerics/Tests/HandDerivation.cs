using Interop.Tests.Numerics.Exact;

namespace Interop.Tests.Numerics.Tests;

/// <summary>
/// The five maps' derivatives, first and second order, worked out on paper and written out here to check the
/// hyper-dual evaluation of <see cref="ExactMap"/>. Notation: g the upstream gradient, E = Σ g·y, (v, w) the direction
/// for (x, p), and for a quantity q, dq its derivative along (v, w). The second-order quantities are dG_x, dG_p
/// (the Hessian of E times (v, w)) and dy (= ∂S/∂g).
/// </summary>
internal static class HandDerivation
{
    public static ExactQuantities Of(string module, MapInputs inputs) => module switch
    {
        "Exponential" => Exponential(inputs),
        "ComponentScaling" => Scaling(inputs, perComponent: true),
        "GlobalScaling" => Scaling(inputs, perComponent: false),
        "Softmax" => Softmax(inputs),
        _ => LogSum(inputs),
    };

    private static ExactQuantities Empty(MapInputs inputs, int outputs) => new(
        new BigFloat[outputs], new BigFloat[inputs.X.Length], new BigFloat[inputs.Parameter.Length],
        new BigFloat[inputs.X.Length], new BigFloat[inputs.Parameter.Length], new BigFloat[outputs]);

    /// <summary>
    /// y = e^(−βx):  G_x = −β g y,  G_β = −Σ g x y;  ∂²E/∂x² = β² g y,  ∂²E/∂x∂β = g y (β x − 1),  ∂²E/∂β² = Σ g x² y;
    /// dy = −y (β v + x w).
    /// </summary>
    private static ExactQuantities Exponential(MapInputs inputs)
    {
        var q = Empty(inputs, inputs.X.Length);
        BigFloat beta = inputs.Parameter[0], w = inputs.DirectionParameter[0];
        for (int i = 0; i < inputs.X.Length; i++)
        {
            BigFloat x = inputs.X[i], g = inputs.Upstream[i], v = inputs.DirectionX[i];
            var y = BigFloat.Exp(-beta * x);
            var mixed = g * y * (beta * x - 1);
            q.Output[i] = y;
            q.GradX[i] = -beta * g * y;
            q.GradParameter[0] += -g * x * y;
            q.SecondX[i] = beta * beta * g * y * v + mixed * w;
            q.SecondParameter[0] += mixed * v + g * x * x * y * w;
            q.SecondUpstream[i] = -y * (beta * v + x * w);
        }
        return q;
    }

    /// <summary>
    /// y_i = k_i x_i (or k x_i):  G_x = g k,  G_k = Σ g x (per component, or over everything);  the only second
    /// derivative is ∂²E/∂x_i∂k = g_i, so dG_x = g w and dG_k = Σ g v;  dy = k v + x w.
    /// </summary>
    private static ExactQuantities Scaling(MapInputs inputs, bool perComponent)
    {
        var q = Empty(inputs, inputs.X.Length);
        for (int i = 0; i < inputs.X.Length; i++)
        {
            int k = perComponent ? i % inputs.Columns : 0;
            BigFloat x = inputs.X[i], g = inputs.Upstream[i], v = inputs.DirectionX[i], scale = inputs.Parameter[k], w = inputs.DirectionParameter[k];
            q.Output[i] = scale * x;
            q.GradX[i] = g * scale;
            q.GradParameter[k] += g * x;
            q.SecondX[i] = g * w;
            q.SecondParameter[k] += g * v;
            q.SecondUpstream[i] = scale * v + x * w;
        }
        return q;
    }

    /// <summary>
    /// y = softmax(z), z = −βx, s = Σ g y, u = y (g − s):  G_x = −β u,  G_β = −Σ x u.  With ∂y_j/∂z_k = y_j (δ_jk − y_k)
    /// and ∂s/∂z_k = u_k, ∂u_j/∂z_k = δ_jk u_j − y_k u_j − y_j u_k, so along dz = −β v − x w:
    /// du = u dz − u (y·dz) − y (u·dz),  dG_x = −w u − β du,  dG_β = −Σ (v u + x du),  dy = y (dz − y·dz).
    /// </summary>
    private static ExactQuantities Softmax(MapInputs inputs)
    {
        var q = Empty(inputs, inputs.X.Length);
        BigFloat beta = inputs.Parameter[0], w = inputs.DirectionParameter[0];
        int n = inputs.Columns;
        for (int r = 0; r < inputs.Rows; r++)
        {
            var (x, g, v) = (Row(inputs.X, r, n), Row(inputs.Upstream, r, n), Row(inputs.DirectionX, r, n));
            var y = SoftmaxOf(x, beta);
            var s = Dot(g, y);
            var u = Enumerable.Range(0, n).Select(j => y[j] * (g[j] - s)).ToArray();
            var dz = Enumerable.Range(0, n).Select(j => -beta * v[j] - x[j] * w).ToArray();
            BigFloat yDz = Dot(y, dz), uDz = Dot(u, dz);
            for (int j = 0; j < n; j++)
            {
                var du = u[j] * dz[j] - u[j] * yDz - y[j] * uDz;
                q.Output[r * n + j] = y[j];
                q.GradX[r * n + j] = -beta * u[j];
                q.GradParameter[0] += -x[j] * u[j];
                q.SecondX[r * n + j] = -w * u[j] - beta * du;
                q.SecondParameter[0] += -(v[j] * u[j] + x[j] * du);
                q.SecondUpstream[r * n + j] = y[j] * (dz[j] - yDz);
            }
        }
        return q;
    }

    /// <summary>
    /// y = −L/β, L = log Σ e^z, p = softmax(z):  G_x = g p,  G_β = g (L/β² + p·x/β).  Along dz = −β v − x w:
    /// dL = p·dz,  dp = p (dz − dL),  dG_x = g dp,  dG_β = g (dL/β² − 2 L w/β³ + (dp·x + p·v)/β − (p·x) w/β²),
    /// dy = −dL/β + L w/β².
    /// </summary>
    private static ExactQuantities LogSum(MapInputs inputs)
    {
        var q = Empty(inputs, inputs.Rows);
        BigFloat beta = inputs.Parameter[0], w = inputs.DirectionParameter[0];
        int n = inputs.Columns;
        for (int r = 0; r < inputs.Rows; r++)
        {
            var (x, v) = (Row(inputs.X, r, n), Row(inputs.DirectionX, r, n));
            var g = inputs.Upstream[r];
            var p = SoftmaxOf(x, beta);
            var logSum = BigFloat.Log(x.Select(xj => BigFloat.Exp(-beta * xj)).Aggregate((a, b) => a + b));
            var dz = Enumerable.Range(0, n).Select(j => -beta * v[j] - x[j] * w).ToArray();
            var dLogSum = Dot(p, dz);
            var dp = Enumerable.Range(0, n).Select(j => p[j] * (dz[j] - dLogSum)).ToArray();
            var px = Dot(p, x);
            q.Output[r] = -logSum / beta;
            q.GradParameter[0] += g * (logSum / (beta * beta) + px / beta);
            q.SecondParameter[0] += g * (dLogSum / (beta * beta) - 2.0 * logSum * w / (beta * beta * beta) + (Dot(dp, x) + Dot(p, v)) / beta - px * w / (beta * beta));
            q.SecondUpstream[r] = -dLogSum / beta + logSum * w / (beta * beta);
            for (int j = 0; j < n; j++)
            {
                q.GradX[r * n + j] = g * p[j];
                q.SecondX[r * n + j] = g * dp[j];
            }
        }
        return q;
    }

    private static BigFloat[] SoftmaxOf(BigFloat[] x, BigFloat beta)
    {
        var e = x.Select(xj => BigFloat.Exp(-beta * xj)).ToArray();
        var total = e.Aggregate((a, b) => a + b);
        return [.. e.Select(ej => ej / total)];
    }

    private static BigFloat[] Row(BigFloat[] values, int row, int columns) => values[(row * columns)..((row + 1) * columns)];

    private static BigFloat Dot(BigFloat[] a, BigFloat[] b) => a.Zip(b, (ai, bi) => ai * bi).Aggregate((s, t) => s + t);
}
