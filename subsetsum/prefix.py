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
* :func:`certified_prefixes` (batched) and :func:`layered_prefixes` (one row at a time,
  for eps'' down to 1e-12): for a grid of eps'', a rigorous upper bound of the shortest
  prefix with sup_n <= eps'' (exact, then the covering certificates of ``subsetsum.cover``);
  ``slt calibrate`` uses them.
* :func:`first_hits`: the shortest prefix with error <= eps from a table of errors.
"""

from __future__ import annotations

import numpy as np

from groups import check_int, check_real, check_real_array

from .certificate import MAX_N, sup_error, sup_error_within
from .compact import compact_nonzero
from .sums import sorted_sums

#: rows x 2^j subset sums per call in the calibration walks (memory bound)
CELLS_PER_CALL = 1 << 22
#: layered_prefixes stops a row after this many evaluations without halving its best bound
SATURATION = 8


def first_hits(err: np.ndarray, eps) -> np.ndarray:
    """n*[t, g] = smallest column n with err[t, n] <= eps[g] (np.inf if none).

    >>> first_hits(np.array([[1.0, 0.5, 0.1, 0.1]]), [0.6, 0.1, 0.01])
    array([[ 1.,  2., inf]])
    """
    err = check_real_array("err", err, ndim=2, finite=False)
    eps = _check_grid(eps, "eps")
    out = np.full((err.shape[0], len(eps)), np.inf)
    for g, e in enumerate(eps):
        hit = err <= e
        anyhit = hit.any(axis=1)
        out[anyhit, g] = np.argmax(hit[anyhit], axis=1)
    return out


def _check_grid(grid, key: str = "grid") -> np.ndarray:
    """A non-empty 1-D array of finite eps'' > 0."""
    g = check_real_array(key, grid, ndim=1)
    if g.size == 0 or not (g > 0).all():
        raise ValueError(f"{key} must be a non-empty list of finite numbers > 0, got {g.tolist()}")
    return g


def _exact_walk(values, count, grid_arr, out, j_max):
    """Rows of compacted nonzero ``values``: at j = 1 .. j_max nonzero samples the exact
    sup-error of the first j, writing the first hit of every eps'' into ``out`` (in units of
    nonzero samples: out[t, g] = j). Rows that cannot yet meet their loosest unmet eps''
    are skipped without computing: sup-error <= p needs 2^j >= 1/p subset sums, max sum
    >= 1 - p and min sum <= -1 + p."""
    P = values.shape[0]
    pos_sum = np.cumsum(np.maximum(values[:, :j_max], 0.0), axis=1)
    neg_sum = np.cumsum(np.minimum(values[:, :j_max], 0.0), axis=1)
    active = np.arange(P)
    for j in range(1, j_max + 1):
        active = active[(count[active] >= j) & np.isinf(out[active, -1])]
        if active.size == 0:
            break
        loosest = grid_arr[np.argmax(np.isinf(out[active]), axis=1)]
        possible = (
            ((2.0**j) * loosest >= 1)
            & (pos_sum[active, j - 1] >= 1 - loosest)
            & (neg_sum[active, j - 1] <= -1 + loosest)
        )
        rows = active[possible]
        step = max(1, CELLS_PER_CALL >> j)
        for s in range(0, rows.size, step):
            block = rows[s : s + step]
            err = sup_error(values[block, :j])
            hit = (err[:, None] <= grid_arr[None, :]) & np.isinf(out[block])
            rr, gg = np.nonzero(hit)
            out[block[rr], gg] = j


def _exact_start(samples, grid, j_max: int):
    """The common start of both walks: (samples, grid, j_hit, values, order, count) after the
    exact walk up to ``j_max`` nonzero samples (j_hit in units of nonzero samples)."""
    samples = check_real_array("samples", samples, ndim=2)
    grid_arr = _check_grid(grid)
    j_hit = np.full((samples.shape[0], grid_arr.size), np.inf)
    values, order, count = compact_nonzero(samples)
    _exact_walk(values, count, grid_arr, j_hit, min(j_max, samples.shape[1]))
    return samples, grid_arr, j_hit, values, order, count


def certified_prefixes(
    samples: np.ndarray,
    grid,
    core: int = 14,
    recheck_above: float | None = None,
    full_core: int = 20,
    layered_above: float | None = None,
) -> np.ndarray:
    """m^[t, g]: a rigorous upper bound of the shortest prefix of row t with sup-error <=
    grid[g] (np.inf if none within the row); grid descending. Batched over rows.

    Up to ``core`` nonzero samples the sup-error is exact (so m^ = m* there). Beyond, the
    first ``core`` nonzero samples are kept as a core: the interval around 0 they cover
    within eps'', and the longest interval they cover (``cover.zero_component``,
    ``cover.longest_component``), are extended by the later samples in order, each one
    not longer than the interval reached (``cover.extended_prefixes``, THEORY §5 rule 2);
    m^ is the first prefix whose extension contains [-1, 1]. So m^ >= m* (conservative), and the
    failure count #{t : m^_t > m} is monotone in m. Cost about 2^(core + 1) subset sums
    per row. With ``recheck_above``, rows whose m^ exceeds it for some eps'' (the few a short
    core leaves far too conservative: a gap of the core's sums stops the extension) are walked
    again with a core of ``full_core`` samples, and m^ is the smaller of the two (both rigorous);
    with ``layered_above``, rows still above it also get :func:`layered_prefixes` (exact up to
    ``full_core`` nonzero samples, then two-level bounds), and the smallest m^ is kept.
    """
    from .cover import extended_prefixes, longest_component, zero_component

    core = check_int("core", core, 1, MAX_N)
    full_core = check_int("full_core", full_core, 1, MAX_N)
    for key, value in (("recheck_above", recheck_above), ("layered_above", layered_above)):
        if value is not None:
            check_real(key, value, 0, None, low_open=False)
    samples, grid_arr, j_hit, values, order, count = _exact_start(samples, grid, core)
    M = samples.shape[1]
    late = np.flatnonzero(np.isinf(j_hit).any(axis=1) & (count > core))
    step = max(1, CELLS_PER_CALL >> core)
    for s in range(0, late.size, step):
        rows = late[s : s + step]
        sums = sorted_sums(values[rows, :core])
        rest = np.where(np.arange(core, M)[None, :] < count[rows, None], values[rows, core:], 0.0)
        for g in range(grid_arr.size):
            open_rows = np.isinf(j_hit[rows, g])
            if not open_rows.any():
                continue
            for component in (zero_component, longest_component):
                sub = rows[open_rows]
                L, U = component(sums[open_rows], grid_arr[g])
                ok = extended_prefixes(L, U, rest[open_rows])
                reached = ok.any(axis=1)
                j_hit[sub[reached], g] = core + 1 + np.argmax(ok[reached], axis=1)
                open_rows[open_rows] = ~reached
    out = _positions(j_hit, order)
    if recheck_above is not None and full_core > core:
        again = np.flatnonzero((out > recheck_above).any(axis=1))
        if again.size:
            out[again] = np.minimum(out[again], certified_prefixes(samples[again], grid, core=full_core))
    if layered_above is not None:
        deep = np.flatnonzero((out > layered_above).any(axis=1))
        if deep.size:
            out[deep] = np.minimum(out[deep], layered_prefixes(samples[deep], grid, exact_max=full_core))
    return out


def middle_sizes(eps: float) -> tuple[int, ...]:
    """Middle-level sizes tried for a target eps'' (``cover.layered_bound`` keeps the best):
    about half the bits of eps'' (measured on D: 13 at 1e-6, 16 at 1e-8), and 3 fewer / 2 more."""
    j = int(np.clip(round(np.log2(1.0 / eps) / 2.0) + 3, 8, 20))
    return (j - 3, j, min(j + 2, 22))


def layered_prefixes(
    samples: np.ndarray, grid, exact_max: int = 20, budget: int = 1 << 21, step: int = 2
) -> np.ndarray:
    """m^[t, g] like :func:`certified_prefixes`, for eps'' far below what 2^exact_max sums
    resolve: exact up to ``exact_max`` nonzero samples (batched), then, row by row, the
    rigorous two-level bound ``cover.layered_bound`` of the first j nonzero samples at
    j = exact_max + step, + 2 step, ... (so m^ is rounded up to that grid: conservative)
    with middle levels sized for the loosest unmet eps'' (:func:`middle_sizes`) and a
    bottom window of at most ``budget`` points. A row stops after
    :data:`SATURATION` evaluations in a row without halving its best bound (the two-level
    bound saturates near 2R ln(budget) / budget, R the middle's radius) or at its last
    nonzero sample; the eps'' still unmet count as failures for every m."""
    from .cover import layered_bound

    exact_max = check_int("exact_max", exact_max, 1, MAX_N)
    step = check_int("step", step, 1)
    budget = check_int("budget", budget, 1)
    samples, grid_arr, j_hit, values, order, count = _exact_start(samples, grid, exact_max)
    for t in np.flatnonzero(np.isinf(j_hit[:, -1]) & (count > exact_max)):
        j, best, stalled = exact_max, np.inf, 0
        while np.isinf(j_hit[t, -1]) and j < count[t] and stalled < SATURATION:
            p = grid_arr[int(np.argmax(np.isinf(j_hit[t])))]
            j = min(max(j + step, int(np.ceil(np.log2(1.0 / p)))), int(count[t]))
            bound = min(layered_bound(values[t, :j], size, j, budget)["bound"] for size in middle_sizes(p))
            stalled = 0 if bound < best / 2 else stalled + 1
            best = min(best, bound)
            j_hit[t, (bound <= grid_arr) & np.isinf(j_hit[t])] = j
    return _positions(j_hit, order)


def _positions(j_hit: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Prefix lengths from counts of nonzero samples: the j-th nonzero sample of row t sits at
    column order[t, j - 1], so the prefix ending there has length order[t, j - 1] + 1."""
    out = np.full(j_hit.shape, np.inf)
    t, g = np.nonzero(np.isfinite(j_hit))
    out[t, g] = order[t, j_hit[t, g].astype(np.int64) - 1] + 1
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
    samples = check_real_array("samples", samples, ndim=2)
    max_nonzero = check_int("max_nonzero", max_nonzero, 1, MAX_N)
    stop = check_real("stop", stop, 0, None, low_open=False)
    levels = check_int("levels", levels, 1)
    R, M = samples.shape
    sup = np.full((R, M + 1), np.nan)
    sup[:, 0] = 1.0  # no samples: sums {0}, worst z = +-1
    values, order, count = compact_nonzero(samples)
    done = np.zeros(R, dtype=bool)
    done_j = np.zeros(R, dtype=int)  # nonzero samples used when a row finished
    scale = np.ones(R)  # r of the current level
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
            s = sup_error_within(values[active, base : base + j], scale[active])
            sup[active, order[active, base + j - 1] + 1] = s
            hit = s <= stop
            done[active[hit]] = True
            done_j[active[hit]] = base + j
            active = active[~hit]
    for n in range(1, M + 1):  # between nonzero samples nothing changes
        miss = np.isnan(sup[:, n])
        sup[miss, n] = sup[miss, n - 1]
    # exact (level 1) up to the sample before the first nonzero not used by level 1
    used = np.where(done & (done_j <= max_nonzero), done_j, np.minimum(count, max_nonzero))
    known_until = np.full(R, M)
    rows = np.flatnonzero(count > used)
    known_until[rows] = order[rows, used[rows]]
    known = np.arange(M + 1)[None, :] <= known_until[:, None]
    return sup, known, done
