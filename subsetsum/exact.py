"""Exact Subset-Sum by meet-in-the-middle, batched over problems (Horowitz-Sahni 1974).

Problem: given a = (a_1..a_k) and z, find S minimising |z - sum_{i in S} a_i|.
Split the samples into L = a_1..a_h1 and R = a_{h1+1}..a_k (h1 = floor(k/2)); with
Σ(L), Σ(R) the sorted lists of their 2^h1 and 2^h2 subset sums,

    OPT = min_{l in Σ(L), r in Σ(R)} |z - l - r| = min_{q in Q, r in Σ(R)} |q - r|,
    Q = z - Σ(L)  (ascending when Σ(L) is read backwards).

The closest pair between two sorted lists is adjacent in their merged order, so one
stable argsort of Σ(R) ++ Q (two sorted runs: a linear-time merge in NumPy's timsort),
one diff and one argmin per row find it. The subsets of the winning l and r are then
recovered by an exact equality search among the code-order sums (``subsetsum.sums``:
sorted and code-order values are bitwise equal). No Python loop runs per problem: rows
are processed in chunks of equal k (optionally on several threads; NumPy releases the
GIL in sorts and ufuncs).

Optimality is exact up to float64 rounding: pairs are ranked by |fl(z - l) - r|, which
differs from the canonical error |z - (l + r)| by a few ulps of max(|z|, sum |a|).

Adaptive mode (eps given): most random problems are solved within eps by a short prefix
of their samples (about one sample per bit of 1/eps, THEORY §3 and PERFORMANCE.md). Solve
exactly on the first k_0 = ceil(log2(1/eps)) + 4 nonzero samples; problems whose
optimum there is <= eps stop with status ``eps-feasible``; the others go on with 4 more
samples, until the full sample set, where the answer is the exact optimum (``optimal``
if <= eps, else ``infeasible``: no subset reaches eps).
"""

from __future__ import annotations

import math

import numpy as np

from .compact import codes_to_masks, compact_nonzero
from .inputs import check_on_cap
from .parallel import map_chunks
from .registry import Answer, Method
from .result import CAPPED, EPS_FEASIBLE, INFEASIBLE, OPTIMAL, evaluate
from .sums import sorted_sums, workspace_array

#: largest number of nonzero samples per problem (2 x 2^22 sums: measured 640 MB peak RSS,
#: ~1 s CPU for one problem)
MAX_N = 44
#: values per chunk array (rows x (2^h1 + 2^h2)): 512 KB arrays stay below the point where
#: glibc returns freed memory to the OS and every chunk page-faults again (measured 2x)
CHUNK_VALUES = 1 << 16
#: adaptive mode: extra samples beyond log2(1/eps) in the first round, and per round
ADAPTIVE_EXTRA = 4
ADAPTIVE_STEP = 4

_INF_BITS = int(np.array(np.inf).view(np.int64))


def mitm_codes(a: np.ndarray, z: np.ndarray, ws: dict | None = None) -> np.ndarray:
    """Codes (bit i = sample i selected) of optimal subsets, for B problems of k samples.

    a: (B, k) float64, z: (B,) float64; ``ws``: buffer cache (``sums.workspace_array``).
    Returns (B,) int64.
    """
    B, k = a.shape
    z = z + 0.0  # -0.0 -> +0.0
    h1 = k // 2
    Ls, Lc = sorted_sums(a[:, :h1], with_code_order=True, ws=ws, tag="L")
    Rs, Rc = sorted_sums(a[:, h1:], with_code_order=True, ws=ws, tag="R")
    m1, m2 = Ls.shape[1], Rs.shape[1]
    m = m1 + m2
    W = workspace_array(ws, "W", (B, m))
    W[:, :m2] = Rs
    np.subtract(z[:, None], Ls[:, ::-1], out=W[:, m2:])  # Q, ascending
    perm = np.argsort(W, axis=1, kind="stable")  # merges the two runs
    flat = workspace_array(ws, "flat", (B, m), np.int64)
    np.add(perm, (np.arange(B, dtype=np.int64) * m)[:, None], out=flat)
    V = workspace_array(ws, "V", (B, m))
    W.ravel().take(flat.ravel(), out=V.ravel())
    # gaps between merged neighbours; only R-Q neighbours count. A gap d >= 0 (never
    # -0.0: z is normalised to +0.0 above, so W holds no -0.0) orders like its int64
    # bits; OR-ing the bits of +inf into same-label gaps puts them after every finite
    # gap (cheaper than a masked assignment)
    d = workspace_array(ws, "d", (B, m - 1))
    np.subtract(V[:, 1:], V[:, :-1], out=d)
    from_q = workspace_array(ws, "from_q", (B, m), np.bool_)
    np.greater_equal(perm, m2, out=from_q)
    same = workspace_array(ws, "same", (B, m - 1), np.bool_)
    np.equal(from_q[:, 1:], from_q[:, :-1], out=same)
    same_bits = flat[:, : m - 1]  # flat is free again
    np.multiply(same, _INF_BITS, out=same_bits)
    d_bits = d.view(np.int64)
    d_bits |= same_bits
    j = np.argmin(d_bits, axis=1)
    rows = np.arange(B)
    p0, p1 = perm[rows, j], perm[rows, j + 1]
    r_idx = np.minimum(p0, p1)
    l_idx = m1 - 1 - (np.maximum(p0, p1) - m2)
    l_val, r_val = Ls[rows, l_idx], Rs[rows, r_idx]
    hit = workspace_array(ws, "hit", (B, max(m1, m2)), np.bool_)
    l_code = np.argmax(np.equal(Lc, l_val[:, None], out=hit[:, :m1]), axis=1)
    r_code = np.argmax(np.equal(Rc, r_val[:, None], out=hit[:, :m2]), axis=1)
    return l_code.astype(np.int64) | (r_code.astype(np.int64) << h1)


def _codes_for_rows(ac: np.ndarray, z: np.ndarray, k: int, workers: int) -> np.ndarray:
    """mitm_codes on ac[:, :k] in row chunks of ~CHUNK_VALUES values per array."""
    B = ac.shape[0]
    per_row = (1 << (k // 2)) + (1 << (k - k // 2))
    step = max(1, CHUNK_VALUES // per_row)

    def one(s, ws):
        return mitm_codes(np.ascontiguousarray(ac[s : s + step, :k]), z[s : s + step], ws)

    parts = map_chunks(one, range(0, B, step), workers)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def first_prefix(eps: float) -> int:
    """k_0 = ceil(log2(1/eps)) + ADAPTIVE_EXTRA nonzero samples (1 for eps >= 1): the first
    prefix adaptive mode solves on (about one sample per bit of precision)."""
    if eps >= 1:
        return 1
    inv = 1.0 / eps  # subnormal eps: 1/eps overflows, use -log2(eps)
    bits = math.log2(inv) if math.isfinite(inv) else -math.log2(eps)
    return max(1, math.ceil(bits) + ADAPTIVE_EXTRA)


def cap_error(n: int, row: int, cap: int = MAX_N) -> ValueError:
    return ValueError(
        f"method='exact': problem {row} has n = {n} nonzero samples, above the cap "
        f"n <= {cap} of meet-in-the-middle (2 x 2^{(n + 1) // 2} float64 sums per "
        f"problem); with eps, use method='auto' or 'ktree' (or 'cpsat') for larger n"
    )


def solve_exact(
    a: np.ndarray,
    z: np.ndarray,
    eps: float | None = None,
    *,
    adaptive: bool = True,
    workers: int = 1,
    on_cap: str = "raise",
):
    """Solve P problems exactly; returns (masks (P, n) bool, status (P,), n_used (P,)).

    a (P, n) finite float64, z (P,). Zero samples are dropped first (``compact``).
    Without eps (or adaptive=False) every problem is solved on all its nonzero samples:
    status ``optimal``, or with eps given and adaptive=False: ``optimal`` if the optimum
    is <= eps else ``infeasible``. With eps and adaptive=True see the module docstring.
    A problem that needs more than MAX_N nonzero samples raises ValueError, or with
    ``on_cap="prefix"`` gets the exact optimum over its first MAX_N nonzero samples and
    status ``capped``.
    """
    check_on_cap(on_cap)
    P, n = a.shape
    ac, cols, nnz = compact_nonzero(a)
    status = np.full(P, OPTIMAL, dtype="U12")
    if P == 0:
        return np.zeros((0, n), dtype=bool), status, np.zeros(0, dtype=np.int64)

    if eps is None or not adaptive:
        return _solve_all(a, z, eps, ac, cols, nnz, workers, on_cap)

    codes = np.zeros(P, dtype=np.int64)
    n_used = np.zeros(P, dtype=np.int64)
    k_round = first_prefix(eps)
    active = np.arange(P)
    masks = np.zeros((P, n), dtype=bool)
    while active.size:
        k_act = np.minimum(nnz[active], min(k_round, MAX_N))
        for k in np.unique(k_act):
            sel = k_act == k
            rows = active[sel]
            codes[rows] = _codes_for_rows(ac[rows], z[rows], int(k), workers)
        n_used[active] = k_act
        masks[active] = codes_to_masks(codes[active], cols[active])
        _, err = evaluate(a[active], masks[active], z[active])
        full = k_act == nnz[active]
        ok = err <= eps
        status[active[full & ok]] = OPTIMAL
        status[active[full & ~ok]] = INFEASIBLE
        status[active[~full & ok]] = EPS_FEASIBLE
        active = active[~full & ~ok]
        if active.size and k_round >= MAX_N:
            if on_cap == "prefix":  # exact optimum over the first MAX_N nonzero samples
                status[active] = CAPPED
                break
            row = int(active[np.argmax(nnz[active])])
            raise cap_error(int(nnz[row]), row)
        k_round += ADAPTIVE_STEP
    return masks, status, n_used


def run(a: np.ndarray, z: np.ndarray, eps: float | None, options) -> Answer:
    """``solve(method="exact")``: ``solve_exact`` with the options' adaptive, workers, on_cap."""
    masks, status, n_used = solve_exact(
        a, z, eps, adaptive=options.adaptive, workers=options.workers, on_cap=options.on_cap
    )
    return Answer(masks, status, n_used)


METHOD = Method(
    "exact",
    run,
    "meet-in-the-middle, exact optimum up to 44 nonzero samples "
    "(with eps: adaptive, stops at the first prefix within eps)",
)


def _solve_all(a, z, eps, ac, cols, nnz, workers, on_cap):
    """``solve_exact`` without eps or adaptive: every problem on all its nonzero samples
    (at most MAX_N: the first MAX_N with on_cap="prefix", status ``capped``)."""
    P = a.shape[0]
    if nnz.max() > MAX_N and on_cap == "raise":
        row = int(np.argmax(nnz))
        raise cap_error(int(nnz[row]), row)
    codes = np.zeros(P, dtype=np.int64)
    status = np.full(P, OPTIMAL, dtype="U12")
    k_all = np.minimum(nnz, MAX_N)
    for k in np.unique(k_all):
        rows = np.flatnonzero(k_all == k)
        codes[rows] = _codes_for_rows(ac[rows], z[rows], int(k), workers)
    masks = codes_to_masks(codes, cols)
    if eps is not None:
        _, err = evaluate(a, masks, z)
        status[err > eps] = INFEASIBLE
    status[nnz > MAX_N] = CAPPED
    return masks, status, k_all.astype(np.int64)
