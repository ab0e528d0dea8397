"""The "works for every target" certificate (THEORY §5, level 2).

For a sample vector a with subset sums Σ = {sum_{i in S} a_i : S subset of [n]},

    sup_error(a) = sup_{z in [-1, 1]} min_{s in Σ} |z - s|.

z -> dist(z, Σ) is piecewise linear, with local maxima at the midpoints of consecutive
sums, so with Σ sorted as s_0 < s_1 < ... (0 is always in Σ, so dist(±1, Σ) <= 1):

    sup_error(a) = max( dist(-1, Σ), dist(1, Σ),
                        max{ (s_{i+1} - s_i)/2 : -1 <= (s_i + s_{i+1})/2 <= 1 } ).

If sup_error(a) <= eps', every target in [-1, 1] is reached within eps' by a subset of a.
Exact on the float64 subset sums (which carry rounding <= n 2^-53 sum|a_i|). Zero samples
do not change Σ and are dropped first, so the cap ``MAX_N`` applies to the number of
nonzero samples. The sorted sums come from ``subsetsum.sums`` (batched merging), in
chunks of rows.

``sup_error_bound`` handles more samples: adding samples only enlarges Σ, so dist(z, Σ)
can only decrease for every z; the exact sup_error of any sub-multiset is therefore an
upper bound for the full vector. The first group G_1 is the ``max_nonzero`` nonzero
samples of largest magnitude (ties: lower index first): large samples are needed to reach
the ends ±1. With ``refine=True`` (default) disjoint further groups refine it (Minkowski
argument): if Σ(G_1 ∪ ... ∪ G_j) reaches every z in [-1, 1] within r, and Σ(G_{j+1})
reaches every w in [-r, r] within r', then the union reaches every z within r' (write
z = s + w with |w| <= r). Since sup_{|w| <= r} dist(w, Σ(G)) = r sup_error(G / r), each
level sets r <- r sup_error(G_{j+1} / r) (never larger: 0 is a sum). The groups are
consecutive blocks of ``max_nonzero`` samples in decreasing magnitude: their 2^J subset
sums, differences included, fill [-r, r] densely even when every |a| > r (measured on
Pensia's D with 185 samples, J = 16: median bound 4e-6, against 5e-4 for G_1 alone).
"""

from __future__ import annotations

import numpy as np

from groups import check_flag, check_int

from .compact import compact_nonzero
from .inputs import check_magnitude, check_samples, check_workers
from .parallel import map_chunks
from .sums import sorted_sums, workspace_array

#: largest number of nonzero samples per row: 2^26 sums = 512 MB per row
MAX_N = 26
#: subset sums per chunk (rows x 2^k)
CHUNK_VALUES = 1 << 17


def _sup_error_sorted(s: np.ndarray, ws: dict | None = None, lo=-1.0, hi=1.0) -> np.ndarray:
    """The formula of the module docstring for rows of sorted sums s (B, m), over the
    interval [lo, hi] instead of [-1, 1] when asked (scalars or one value per row, lo <= hi):
    sup_{z in [lo, hi]} min_i |z - s_i|.

    With c_lo = #{s < lo} and c_hi = #{s < hi}: the ends are dist(lo), dist(hi) = distance to
    the neighbours s[c-1], s[c]; a gap (s_i, s_{i+1}) has its midpoint in [lo, hi] only if
    c_lo - 1 <= i <= c_hi - 1, and for c_lo <= i <= c_hi - 2 both ends are in [lo, hi),
    so only the two boundary gaps need the midpoint test. The interior maximum is one
    ``np.maximum.reduceat`` over the per-row index ranges (no masks, no midpoints).
    """
    B, m = s.shape
    rows = np.arange(B)
    lo_c, hi_c = np.broadcast_to(lo, (B,)), np.broadcast_to(hi, (B,))
    flag = workspace_array(ws, "flag", (B, m), np.bool_)
    c_lo = np.count_nonzero(np.less(s, lo_c[:, None], out=flag), axis=1)
    c_hi = np.count_nonzero(np.less(s, hi_c[:, None], out=flag), axis=1)
    out = np.zeros(B)
    for c, x in ((c_lo, lo_c), (c_hi, hi_c)):  # dist(x, row)
        below = np.abs(x - s[rows, np.maximum(c - 1, 0)])
        above = np.abs(s[rows, np.minimum(c, m - 1)] - x)
        np.maximum(out, np.minimum(below, above), out=out)
    if m < 2:
        return out
    gap = workspace_array(ws, "gap", (B, m - 1))
    np.subtract(s[:, 1:], s[:, :-1], out=gap)
    for i in (c_lo - 1, c_hi - 1):  # boundary gaps
        ok = (i >= 0) & (i <= m - 2)
        ii = np.clip(i, 0, m - 2)
        mid = (s[rows, ii] + s[rows, ii + 1]) / 2.0
        g = np.where(ok & (mid >= lo_c) & (mid <= hi_c), gap[rows, ii], 0.0)
        np.maximum(out, g / 2.0, out=out)
    lo, hi = c_lo, c_hi - 1  # interior gaps [lo, hi)
    nonempty = hi > lo
    if nonempty.any():
        r = rows[nonempty]
        bounds = np.empty(2 * r.size, dtype=np.int64)
        bounds[0::2] = r * (m - 1) + lo[nonempty]
        bounds[1::2] = r * (m - 1) + hi[nonempty]
        flat = gap.ravel()
        if bounds[-1] >= flat.size:  # reduceat end index
            flat = np.append(flat, 0.0)
        inner = np.maximum.reduceat(flat, bounds)[0::2]
        out[r] = np.maximum(out[r], inner / 2.0)
    return out


def _sup_error_k(a: np.ndarray, workers: int) -> np.ndarray:
    """sup_error of B rows of exactly k samples each (chunked, optionally threaded)."""
    B, k = a.shape
    step = max(1, CHUNK_VALUES >> k)

    def one(start, ws):
        return _sup_error_sorted(sorted_sums(a[start : start + step], ws=ws), ws)

    return np.concatenate(map_chunks(one, range(0, B, step), workers))


def _by_nonzero_count(ac: np.ndarray, nnz: np.ndarray, workers: int) -> np.ndarray:
    out = np.empty(ac.shape[0])
    for k in np.unique(nnz):
        rows = np.flatnonzero(nnz == k)
        out[rows] = _sup_error_k(np.ascontiguousarray(ac[rows, :k]), workers)
    return out


def sup_error(samples, *, workers: int = 1) -> np.ndarray:
    """Exact sup_{z in [-1,1]} min_S |z - sum_{i in S} a_i| per row: (P, n) -> (P,).

    Raises ValueError for a row with more than ``MAX_N`` nonzero samples (use
    ``sup_error_bound``).

    >>> float(sup_error([[0.5, 0.0, 0.5]])[0])     # sums {0, .5, 1}: worst z = -1
    1.0
    >>> float(sup_error([[1.0, -1.0, 0.5, -0.5]])[0])   # sums cover [-2, 2] in steps of .5
    0.25
    """
    a = check_samples(samples)
    check_magnitude(a)
    workers = check_workers(workers)
    ac, _, nnz = compact_nonzero(a)
    if nnz.size and nnz.max() > MAX_N:
        row = int(np.argmax(nnz))
        raise ValueError(
            f"sup_error: row {row} has {int(nnz[row])} nonzero samples, above the cap "
            f"{MAX_N} (2^{MAX_N} sorted sums per row); use sup_error_bound(samples, "
            f"max_nonzero=...) for a rigorous upper bound"
        )
    return _by_nonzero_count(ac, nnz, workers)


def sup_error_within(samples, radius) -> np.ndarray:
    """sup_{|w| <= r} min_S |w - sum_{i in S} a_i| = r sup_error(a / r), per row (r > 0)."""
    r = np.asarray(radius, dtype=np.float64)
    return r * sup_error(np.asarray(samples, dtype=np.float64) / r[:, None])


def sup_error_bound(
    samples, max_nonzero: int = 24, *, refine: bool = True, levels: int = 8, workers: int = 1
) -> np.ndarray:
    """Rigorous upper bound of sup_error per row: (P, n) -> (P,).

    Rows with at most ``max_nonzero`` nonzero samples get the exact value; the others the
    exact sup_error of their ``max_nonzero`` largest-magnitude nonzero samples, refined
    (``refine=True``) by up to ``levels`` further disjoint groups of at most
    ``max_nonzero`` samples (see the module docstring; each level costs one sup_error of
    at most ``max_nonzero`` samples per row). ``refine=False`` gives the first-group bound
    only (the bound used by the shipped calibration of C).
    """
    a = check_samples(samples)
    check_magnitude(a)
    workers = check_workers(workers)
    max_nonzero, levels = check_int("max_nonzero", max_nonzero, 0, MAX_N), check_int("levels", levels, 0)
    refine = check_flag("refine", refine)
    # the max_nonzero samples of largest magnitude (stable: lower index first on ties),
    # back in their original order so that rows within the cap give sup_error exactly
    by_size = np.argsort(-np.abs(a), axis=1, kind="stable")
    first = np.sort(by_size[:, :max_nonzero], axis=1)
    keep = np.take_along_axis(a, first, axis=1)
    ac, _, nnz = compact_nonzero(keep)
    bound = _by_nonzero_count(ac, nnz, workers)
    if not refine or max_nonzero == 0 or a.shape[1] <= max_nonzero:
        return bound
    # further groups: the next max_nonzero samples in decreasing magnitude (their many
    # subset sums, differences included, fill [-r, r] densely even when each |a| > r)
    ranked = np.take_along_axis(a, by_size, axis=1)
    for level in range(1, levels + 1):
        group = ranked[:, level * max_nonzero : (level + 1) * max_nonzero]
        rows = np.flatnonzero((group != 0).any(axis=1) & (bound > 0)) if group.shape[1] else []
        if len(rows) == 0:
            break
        bound[rows] = np.minimum(bound[rows], sup_error_within(group[rows], bound[rows]))
    return bound
