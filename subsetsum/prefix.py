"""Sup-errors of the prefixes of a sample sequence (THEORY §5, levels 2 and 3).

For a row a_1, a_2, ... and its prefix of length n, sup_n = sup_{z in [-1, 1]} min_S
|z - sum_{i in S, i <= n} a_i| (``sup_error``). Appending a sample only enlarges the set of
subset sums, so sup_n is nonincreasing in n, and only prefixes ending at a NONZERO sample
can change it. Both walks below therefore go over j = 1, 2, ... nonzero samples (the
nonzero samples compacted to the front, ``compact_nonzero``) and write the value at the
prefix length ending at the j-th nonzero sample.

* :func:`prefix_sup_errors`: sup_n of every prefix (exact up to ``max_nonzero`` nonzero
  samples, then a rigorous upper bound by Minkowski refinement); the random Subset-Sum
  studies and the smallest certified width use it.
* :func:`first_prefixes`: for a grid of eps'', the shortest prefix with sup_n <= eps''
  (exact, then the rigorous :func:`subset_bound`); ``slt calibrate`` uses it.
* :func:`first_hits`: the shortest prefix with error <= eps from a table of errors.
"""
from __future__ import annotations

import numpy as np

from .certificate import sup_error, sup_error_bound, sup_error_within
from .compact import compact_nonzero

#: rows x 2^j subset sums per sup_error call in first_prefixes (memory bound)
CELLS_PER_CALL = 1 << 22


def first_hits(err: np.ndarray, eps) -> np.ndarray:
    """n*[t, g] = smallest column n with err[t, n] <= eps[g] (np.inf if none).

    >>> first_hits(np.array([[1.0, 0.5, 0.1, 0.1]]), [0.6, 0.1, 0.01])
    array([[ 1.,  2., inf]])
    """
    out = np.full((err.shape[0], len(eps)), np.inf)
    for g, e in enumerate(eps):
        hit = err <= e
        anyhit = hit.any(axis=1)
        out[anyhit, g] = np.argmax(hit[anyhit], axis=1)
    return out


def balanced_subset(block: np.ndarray, J: int) -> np.ndarray:
    """Per row, the J//2 largest positive and J - J//2 most negative samples (the other sign
    fills in when one runs short), zeros elsewhere: at most J nonzero samples per row.

    >>> balanced_subset(np.array([[0.9, 0.5, 0.2, -0.1, -0.7]]), 2)
    array([[ 0.9,  0. , -0.7,  0. ]])
    """
    pos = -np.sort(-np.where(block > 0, block, 0.0), axis=1)[:, :J]
    neg = np.sort(np.where(block < 0, block, 0.0), axis=1)[:, :J]
    n_pos, n_neg = (block > 0).sum(axis=1), (block < 0).sum(axis=1)
    k_pos = np.minimum(n_pos, np.maximum(J // 2, J - n_neg))
    k_neg = np.minimum(n_neg, J - k_pos)
    cols = np.arange(pos.shape[1])
    return np.concatenate([np.where(cols < k_pos[:, None], pos, 0.0),
                           np.where(cols < k_neg[:, None], neg, 0.0)], axis=1)


def subset_bound(block: np.ndarray, J: int) -> np.ndarray:
    """Rigorous upper bound of the sup-error of each row from two subsets of <= J samples.

    The sup-error of any subset of the samples bounds that of the whole row (fewer subset
    sums); we take the smaller of the J largest-magnitude samples (``sup_error_bound``,
    first group only) and the sign-balanced subset :func:`balanced_subset` (better when
    one sign is short of mass near z = +-1).
    """
    # refine=False: the first-group bound the shipped calibration was computed with, so that
    # `slt calibrate` reproduces bounds/data/calibrated_C.json (the refined bound is tighter)
    return np.minimum(sup_error_bound(block, max_nonzero=J, refine=False), sup_error(balanced_subset(block, J)))


def first_prefixes(samples: np.ndarray, grid, exact_max: int = 20, bound_nonzero: int = 20,
                   max_nonzero: int = 40, bound_step: int = 2) -> np.ndarray:
    """m*[t, g]: shortest prefix of row t with sup-error <= grid[g] (np.inf if none); grid descending.

    The rows are walked by the number j of nonzero samples; a row stops once it meets the
    smallest eps''. Up to ``exact_max`` nonzero samples the exact sup-error is computed
    at every j; above, every ``bound_step``-th j, the rigorous upper bound
    :func:`subset_bound` of ``bound_nonzero`` samples (dropping samples can only increase
    the sup-error). So m* can only be overestimated (conservative); a row still above
    eps'' at ``max_nonzero`` nonzero samples (or at the end of the draw) counts as a
    failure for every m. Rows that cannot yet meet their loosest unmet eps'' are skipped
    without computing: sup-error <= p needs 2^j >= 1/p subset sums, max sum >= 1 - p and
    min sum <= -1 + p.
    """
    P = samples.shape[0]
    grid_arr = np.asarray(grid)
    out = np.full((P, len(grid)), np.inf)
    values, order, count = compact_nonzero(samples)
    pos_sum = np.cumsum(np.maximum(values, 0.0), axis=1)
    neg_sum = np.cumsum(np.minimum(values, 0.0), axis=1)
    active = np.arange(P)
    for j in range(1, max_nonzero + 1):
        active = active[count[active] >= j]
        if active.size == 0:
            break
        exact = j <= exact_max
        if not exact and (j - exact_max) % bound_step and j != max_nonzero:
            continue
        loosest = grid_arr[np.argmax(np.isinf(out[active]), axis=1)]      # largest unmet eps''
        possible = ((2.0 ** j) * loosest >= 1) & (pos_sum[active, j - 1] >= 1 - loosest) \
            & (neg_sum[active, j - 1] <= -1 + loosest)
        rows = active[possible]
        errs = np.empty(rows.size)
        rows_per_call = max(1, CELLS_PER_CALL >> min(j, exact_max if exact else bound_nonzero))
        for s in range(0, rows.size, rows_per_call):
            block = values[rows[s:s + rows_per_call], :j]
            errs[s:s + rows_per_call] = sup_error(block) if exact else subset_bound(block, bound_nonzero)
        position = order[rows, j - 1] + 1                 # prefix length m ending at this sample
        hit = (errs[:, None] <= grid_arr[None, :]) & np.isinf(out[rows])
        rr, gg = np.nonzero(hit)
        out[rows[rr], gg] = position[rr]
        active = active[np.isinf(out[active, -1])]
    return out


def prefix_sup_errors(samples: np.ndarray, max_nonzero: int, stop: float = 0.0, levels: int = 1):
    """Sup-error of every prefix of every row, walking over the nonzero samples.

    samples (R, M) -> (sup (R, M+1), known (R, M+1) bool, done (R,) bool); column n is the
    prefix of length n (column 0: no samples, sums {0}, sup-error 1).

    Level 1: sup[r, n] is the EXACT sup-error (``sup_error``) of the first n samples while
    they hold at most ``max_nonzero`` nonzero samples (``known``); a row stops early once
    its sup-error is <= ``stop`` (``done``). Past that point sup[r, n] holds a rigorous
    UPPER bound, nonincreasing in n:

    * ``levels = 1``: the sup-error of the longest prefix computed (its subset sums are a
      subset of the longer prefix's);
    * ``levels >= 2``: a Minkowski refinement. If the subset sums of a group A of samples
      reach every z in [-1, 1] within r, and those of the next group B reach every w in
      [-r, r] within r', then A ∪ B reaches every z within r' (z - a lies in [-r, r]). And
      sup_{|w| <= r} dist(w, Σ(B)) = r sup_error(B / r). So each further level walks the
      next ``max_nonzero`` nonzero samples with r_new = r sup_error(prefix of B / r).
    Cost about twice the last step (2^max_nonzero sums per row) per level.

    >>> sup, known, done = prefix_sup_errors(np.array([[0.0, 1.0, -1.0, 0.5]]), 3)
    >>> sup[0].tolist(), bool(known[0].all()), bool(done[0])
    ([1.0, 1.0, 1.0, 0.5, 0.25], True, False)
    """
    R, M = samples.shape
    sup = np.full((R, M + 1), np.nan)
    sup[:, 0] = 1.0                                # no samples: sums {0}, worst z = +-1
    values, order, count = compact_nonzero(samples)
    done = np.zeros(R, dtype=bool)
    done_j = np.zeros(R, dtype=int)                # nonzero samples used when a row finished
    scale = np.ones(R)                             # r of the current level
    for level in range(levels):
        base = level * max_nonzero
        active = np.flatnonzero(~done & (count > base))
        if active.size == 0:
            break
        if level:
            scale[active] = np.nan_to_num(sup[active, order[active, base - 1] + 1], nan=1.0)
            active = active[scale[active] > 0]
        for j in range(1, max_nonzero + 1):
            active = active[count[active] >= base + j]
            if active.size == 0:
                break
            s = sup_error_within(values[active, base:base + j], scale[active])
            sup[active, order[active, base + j - 1] + 1] = s
            hit = s <= stop
            done[active[hit]] = True
            done_j[active[hit]] = base + j
            active = active[~hit]
    for n in range(1, M + 1):                      # between nonzero samples nothing changes
        miss = np.isnan(sup[:, n])
        sup[miss, n] = sup[miss, n - 1]
    # exact (level 1) up to the sample before the first nonzero not used by level 1
    used = np.where(done & (done_j <= max_nonzero), done_j, np.minimum(count, max_nonzero))
    known_until = np.full(R, M)
    rows = np.flatnonzero(count > used)
    known_until[rows] = order[rows, used[rows]]
    known = np.arange(M + 1)[None, :] <= known_until[:, None]
    return sup, known, done
