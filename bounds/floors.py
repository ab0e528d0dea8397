"""Proven floors of the random Subset-Sum requirement on Pensia's D (THEORY §3 "Floors").

m samples X_1..X_m from D = ½δ0 + ½Law(UV): K+ of them positive, K- negative, the rest 0,
(K+, K-, K0) multinomial (m; ¼, ¼, ½); given the signs, the magnitudes are i.i.d. with
density -ln x on (0, 1] (the law of U|V|), CDF F(x) = x - x ln x. The sup-error over
z in [-1, 1] exceeds eps (so a Subset-Sum instance of the construction fails) on each of

* counting: K+ + K- < log2(1/eps): 2^K subset sums cover at most 2^K 2 eps < 2 of [-1, 1];
* edge +: S+ = sum of the positive samples < 1 - eps: z = 1 is farther than eps from every sum;
* edge -: the same for the negative samples and z = -1.

Hence P(fail) >= P(union) = sum over (k+, k-) of P(K+ = k+, K- = k-) [1 if k+ + k- < log2(1/eps),
else 1 - (1 - G_{k+})(1 - G_{k-})], G_k = P(sum of k magnitudes < 1 - eps). G_k is bounded
below by rounding every magnitude UP to the grid h Z (h = 2^-10): the rounded sum is larger,
so P(rounded sum < 1 - eps) <= G_k, and the rounded sum's law is an exact k-fold convolution of
P(ceil(X/h) = j) = F(jh) - F((j-1)h). Every term is a nonnegative sum of products computed in
float64; the result is multiplied by 1 - 1e-9 to absorb rounding. So ``failure_lower_bound``
is a rigorous lower bound of P(fail), and ANY m with failure_lower_bound(m) > delta fails
the requirement P(fail) <= delta: ``m_floor`` is the smallest m it does not rule out.
(The bound is nonincreasing in m: adding a sample can only raise K+, K-, S+ and |S-|.)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import gammaln

from .validate import check_open_unit, check_positive_int

#: grid of the rounded magnitudes
GRID = 1.0 / 1024
#: relative margin absorbing float64 rounding of the sums and products
MARGIN = 1e-9
#: largest m searched by m_floor; largest k+ and k- summed over
M_MAX = 100_000
K_MAX = 1000


def magnitude_cdf(x):
    """F(x) = P(U|V| <= x) = x - x ln x on [0, 1] (0 at 0)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x - x * np.log(np.where(x > 0, x, 1.0)), 0.0)


@lru_cache(maxsize=64)
def _edge_table(cells: int) -> np.ndarray:
    """G^low_k for k = 0, 1, ... until it underflows to 0 (at most K_MAX + 1 values):
    P(sum of k magnitudes rounded up to GRID < cells * GRID), cells = ceil((1 - eps) / GRID),
    by exact truncated convolution."""
    j = np.arange(cells)
    pmf = magnitude_cdf(np.minimum(j * GRID, 1.0)) - magnitude_cdf(np.minimum(np.maximum(j - 1, 0) * GRID, 1.0))
    pmf[0] = 0.0  # ceil(X / h) >= 1 for X > 0
    out = []
    dist = np.zeros(cells)
    dist[0] = 1.0  # k = 0: the sum is 0
    while len(out) <= K_MAX:
        out.append(float(dist.sum()))  # P(rounded sum <= (cells - 1) h) = P(< 1 - eps)
        if out[-1] == 0.0:
            break
        dist = np.convolve(dist, pmf)[:cells]
    return np.array(out)


def failure_lower_bound(m: int, eps: float) -> float:
    """Rigorous lower bound of P(sup-error of m samples from D > eps) (module docstring);
    the sum runs over k+, k- <= K_MAX (dropping nonnegative terms keeps it a lower bound).

    >>> failure_lower_bound(1, 0.1)      # one sample: 2^1 < 10 sums, always fails
    0.999999999
    >>> failure_lower_bound(40, 0.01) > (3 / 4) ** 40     # more than "no positive sample"
    True
    """
    m = check_positive_int(m, "m")
    eps = check_open_unit(eps, "eps")
    inv = 1.0 / eps  # inf for subnormal eps: then log2(1/eps) = -log2(eps)
    need = math.ceil(math.log2(inv) if math.isfinite(inv) else -math.log2(eps))  # K < log2(1/eps) <=> K < need
    table = _edge_table(math.ceil((1.0 - eps) / GRID))
    k = np.arange(min(m, K_MAX) + 1)
    G = np.zeros(k.size)
    G[: min(k.size, table.size)] = table[: k.size]
    kp, km = np.meshgrid(k, k, indexing="ij")
    k0 = m - kp - km
    valid = k0 >= 0
    k0 = np.maximum(k0, 0)
    log_p = (
        gammaln(m + 1)
        - gammaln(kp + 1)
        - gammaln(km + 1)
        - gammaln(k0 + 1)
        + (kp + km) * math.log(0.25)
        + k0 * math.log(0.5)
    )
    prob = np.where(valid, np.exp(np.where(valid, log_p, -np.inf)), 0.0)
    edge = G[kp] + G[km] - G[kp] * G[km]
    fail = np.where(kp + km < need, 1.0, edge)
    return float(np.sum(prob * fail) * (1.0 - MARGIN))


def m_floor(eps: float, delta: float) -> int:
    """Smallest m not ruled out by :func:`failure_lower_bound`: every m below it has
    P(fail) > delta, whatever constant a calibration or a proof uses.

    >>> m_floor(0.5, 0.5) >= 1
    True
    >>> m_floor(1e-6, 1e-6) >= math.log2(1e6) and m_floor(1e-6, 1e-6) >= math.log(1e6) / math.log(4 / 3)
    True
    """
    eps = check_open_unit(eps, "eps''")
    delta = check_open_unit(delta, "delta''")
    lo, hi = 1, 2
    while failure_lower_bound(hi, eps) > delta:
        lo, hi = hi, 2 * hi
        if hi > M_MAX:
            raise ValueError(f"m_floor: no m <= {M_MAX} reaches delta'' = {delta:g} at eps'' = {eps:g}")
    if failure_lower_bound(lo, eps) <= delta:
        return lo
    while hi - lo > 1:  # failure_lower_bound(lo) > delta >= failure_lower_bound(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if failure_lower_bound(mid, eps) > delta else (lo, mid)
    return hi
