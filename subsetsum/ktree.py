"""method="ktree": Wagner's k-tree (generalized birthday, CRYPTO 2002) for many samples
and few bits, with retries and the exact path as fallback.

Problem p: nonzero samples a_1..a_n, target z, accuracy eps; find S with
|z - sum_{i in S} a_i| <= eps. Meet-in-the-middle pays 2^(b/2) for b = log2(1/eps) bits;
with n >> b samples the k-tree (``subsetsum.tree``) on k = 2^L groups of g samples does
work and memory ~ k 2^g with g ~ b/(L + 1).

Plan (per problem). With N = 2^g, the first window merge keeps N pair sums in a window
of width ~ 1/(N f_0) (f_0: density of a first-level pair sum at 0; the pair sum has
standard deviation sigma_1 = sigma sqrt(2g)/2, sigma the rms of the nonzero samples),
every further level divides it by about N, and the root's closest pair is N^2 finer:
the median error is about

    m(L, g) = W 2^(-g (L + 1) + LOSS_BITS (L - 1)),   W = 1.25 sigma_1

(LOSS_BITS = 0.55: the measured cost per level of the bracketing windows; measured
medians within a factor 1.3 of m on Pensia's D, U[-1, 1] and U V, L = 2..5). The error is
about exponentially distributed, so with margin mu = log2(eps / m) an attempt succeeds
with probability p ~ 1 - 2^(-2^mu). ``plan`` picks, among 2 <= L <= MAX_LEVELS and
g <= G_MAX with k g <= n, mu >= MARGIN_BITS and k 2^g <= MAX_TREE_VALUES, the least
expected work k 2^g / p. No plan (too few samples for the precision): the exact path.

Attempts. Attempt t orders the nonzero samples of every row by keys u_c ~ U[0, 1) of
their column c, drawn from ``numpy.random.default_rng([seed, t])`` (the same keys for
every row, so an answer does not depend on the other rows of the batch), and takes the
first k g as the groups; attempts after the first use g + 1 when the samples allow.
Every mask is evaluated by the canonical ``result.evaluate``; a problem stops at the
first attempt within eps (status ``eps-feasible``; optimality is never claimed).

Measured (``slt bench subsetsum --method auto --distribution pensia --n 250 --compare exact
auto``, one thread, CPU per problem; load 4.8-6.4 on 2 cores): eps = 1e-8: 96 µs (exact
with prefix 2.5 ms, 26x); 1e-10: 267 µs (41 ms, 153x); 1e-12: 0.96 ms (367 ms, 381x); 1e-13:
2.0 ms (398 ms, 198x; exact leaves 1/3 ``capped``); 100 % within eps at every eps (20,000
problems at 1e-8 and 1e-10, 5,000 at 1e-12 and 1e-13), no exact fallback needed. The
subsets are denser than the exact prefix's: ~45 selected samples against ~19 at 1e-10.

Fallback. Problems still above eps after ATTEMPTS go to the exact path (adaptive,
``exact.solve_exact`` with the caller's ``on_cap``): its answer replaces the tree's when it
is not worse or is a proven one (``optimal``/``infeasible``), and its status is kept; so
no problem is left worse than with method="exact".
"""

from __future__ import annotations

import math

import numpy as np

from .exact import solve_exact
from .parallel import map_chunks
from .registry import Answer, Method
from .result import EPS_FEASIBLE, INFEASIBLE, OPTIMAL, evaluate
from .tree import ktree_selection

#: levels L (k = 2^L lists) ``plan`` considers; L = 1 would be meet-in-the-middle
MIN_LEVELS, MAX_LEVELS = 2, 6
#: largest group: 2^G_MAX subset sums per leaf list
G_MAX = 16
#: largest tree per problem, k 2^g values (~100 bytes each while merging: 100 MB)
MAX_TREE_VALUES = 1 << 20
#: measured loss of precision per merge level (bits), see the module docstring
LOSS_BITS = 0.55
#: smallest planned margin log2(eps / predicted median error)
MARGIN_BITS = 1.5
#: groupings tried before the exact fallback
ATTEMPTS = 3
#: tree values per row chunk (rows x k x 2^g): ~10 MB of working arrays per thread
CHUNK_VALUES = 1 << 17
#: samples per row block of ``solve_ktree`` (rows x n): ~80 MB of per-block arrays
BLOCK_VALUES = 1 << 21


def plan(nnz: np.ndarray, sigma: np.ndarray, eps: float):
    """(L, g) per problem (see the module docstring); L = 0 where no tree fits.

    nnz (P,): nonzero samples per problem; sigma (P,): their rms.
    """
    P = nnz.shape[0]
    best_L = np.zeros(P, dtype=np.int64)
    best_g = np.zeros(P, dtype=np.int64)
    best_cost = np.full(P, np.inf)
    with np.errstate(divide="ignore", over="ignore"):  # sigma / eps = 0 or inf: no plan
        log_scale = np.log2(sigma / eps)
    for L in range(MIN_LEVELS, MAX_LEVELS + 1):
        k = 1 << L
        for g in range(1, G_MAX + 1):
            if k << g > MAX_TREE_VALUES:
                break
            # margin mu = log2(eps / m(L, g)), log_scale = log2(sigma / eps)
            margin = g * (L + 1) - LOSS_BITS * (L - 1) - log_scale - math.log2(1.25 * math.sqrt(2 * g) / 2)
            success = 1.0 - np.exp2(-np.exp2(np.minimum(margin, 60.0)))
            cost = (k << g) / np.maximum(success, 1e-300)
            better = (margin >= MARGIN_BITS) & (k * g <= nnz) & (cost < best_cost)
            best_L[better], best_g[better], best_cost[better] = L, g, cost[better]
    return best_L, best_g


def grouping(a: np.ndarray, seed: int, attempt: int) -> np.ndarray:
    """Column order (P, n) of attempt ``attempt``: the nonzero samples of each row first,
    by the seeded keys of their columns (module docstring), then the zeros."""
    keys = np.random.default_rng([seed, attempt]).random(a.shape[1])
    return np.argsort(np.where(a != 0, keys, 2.0), axis=1, kind="stable")


def tree_masks(a: np.ndarray, z: np.ndarray, order: np.ndarray, L: int, g: int, workers: int = 1) -> np.ndarray:
    """Masks (R, n) of the k-tree on every row, groups = the first k g columns of ``order``
    (nonzero samples), in row chunks of about CHUNK_VALUES tree values."""
    R, n = a.shape
    k = 1 << L
    cols = np.ascontiguousarray(order[:, : k * g])
    groups = np.take_along_axis(a, cols, axis=1).reshape(R, k, g)
    step = max(1, CHUNK_VALUES // (k << g))

    def one(s, ws):
        return ktree_selection(groups[s : s + step], z[s : s + step], ws).reshape(-1, k * g)

    parts = map_chunks(one, range(0, R, step), workers)
    masks = np.zeros((R, n), dtype=bool)
    if parts:
        np.put_along_axis(masks, cols, np.concatenate(parts), axis=1)
    return masks


def _attempts(a, z, eps, L, g, seed, workers):
    """Up to ATTEMPTS tree attempts on the rows with a plan; returns (masks, errors, n_used)
    of the best attempt per row (errors = inf where no attempt ran)."""
    P, n = a.shape
    nnz = np.count_nonzero(a, axis=1)
    masks = np.zeros((P, n), dtype=bool)
    errors = np.full(P, np.inf)
    n_used = np.zeros(P, dtype=np.int64)
    for attempt in range(ATTEMPTS):
        active = np.flatnonzero((L > 0) & ~(errors <= eps))
        if not active.size:
            break
        up = g[active] + (attempt > 0)
        fits = ((up << L[active]) <= nnz[active]) & ((1 << (L[active] + up)) <= MAX_TREE_VALUES)
        g_t = np.where(fits, up, g[active])
        order = grouping(a[active], seed, attempt)
        for Lc, gc in sorted(set(zip(L[active].tolist(), g_t.tolist()))):
            sel = (L[active] == Lc) & (g_t == gc)
            rows = active[sel]
            m = tree_masks(a[rows], z[rows], order[sel], Lc, gc, workers)
            _, err = evaluate(a[rows], m, z[rows])
            better = err < errors[rows]
            masks[rows[better]], errors[rows[better]] = m[better], err[better]
            n_used[rows[better]] = (1 << Lc) * gc
    return masks, errors, n_used


def solve_ktree(a: np.ndarray, z: np.ndarray, eps: float, *, seed: int = 0, workers: int = 1, on_cap: str = "raise"):
    """P problems by the k-tree with retries and exact fallback (module docstring).

    a (P, n) finite float64, z (P,), eps > 0. Returns (masks (P, n) bool, status (P,),
    n_used (P,)). Rows are solved in blocks of about BLOCK_VALUES samples, so the working
    arrays (groupings, masks, float temporaries: ~40 bytes per sample) stay bounded
    whatever P; the tree itself works in chunks of CHUNK_VALUES values per thread.
    """
    P, n = a.shape
    step = max(1, BLOCK_VALUES // max(n, 1))
    parts = [_solve_block(a[s : s + step], z[s : s + step], eps, seed, workers, on_cap) for s in range(0, P, step)]
    if not parts:
        return np.zeros((0, n), dtype=bool), np.zeros(0, dtype="U12"), np.zeros(0, dtype=np.int64)
    return tuple(np.concatenate(x) for x in zip(*parts))


def _solve_block(a, z, eps, seed, workers, on_cap):
    """``solve_ktree`` on one block of rows: plan, attempts, exact fallback."""
    P, n = a.shape
    nnz = np.count_nonzero(a, axis=1)
    with np.errstate(over="ignore", under="ignore"):  # |a| ~ 1e200: no plan, exact path
        sigma = np.sqrt((a * a).sum(axis=1) / np.maximum(nnz, 1))
    L, g = plan(nnz, sigma, eps)
    masks, errors, n_used = _attempts(a, z, eps, L, g, seed, workers)
    status = np.full(P, EPS_FEASIBLE, dtype="U12")
    rest = np.flatnonzero(~(errors <= eps))
    if rest.size:
        m_ex, st_ex, used_ex = solve_exact(a[rest], z[rest], eps, adaptive=True, workers=workers, on_cap=on_cap)
        _, err_ex = evaluate(a[rest], m_ex, z[rest])
        take = (err_ex <= errors[rest]) | np.isin(st_ex, (OPTIMAL, INFEASIBLE))
        rows = rest[take]
        masks[rows], n_used[rows] = m_ex[take], used_ex[take]
        status[rest] = st_ex
    return masks, status, n_used


def run(a: np.ndarray, z: np.ndarray, eps: float, options) -> Answer:
    """``solve(method="ktree")`` (eps required): ``solve_ktree`` with the options' seed,
    workers and on_cap (for the exact fallback)."""
    masks, status, n_used = solve_ktree(a, z, eps, seed=options.seed, workers=options.workers, on_cap=options.on_cap)
    return Answer(masks, status, n_used)


METHOD = Method(
    "ktree",
    run,
    "Wagner's k-tree for many samples and few bits (eps required; eps-feasible subsets, exact fallback)",
    needs_eps=True,
)
