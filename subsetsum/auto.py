"""method="auto": the exact path where it is cheap, the k-tree where the prefix is long.

Problem p with n_p nonzero samples goes to

* the exact path (``exact``: adaptive meet-in-the-middle, or the optimum without eps or
  with ``adaptive=False``) if eps is None, adaptive is off, or
  min(n_p, k_0(eps)) <= AUTO_PREFIX, k_0 = ceil(log2(1/eps)) + 4 the
  first prefix adaptive mode solves on (``exact.first_prefix``);
* the k-tree otherwise (``ktree``: retries, then the exact path as fallback).

Switch point, measured (CPU per problem, 1000 problems, targets U[-1, 1], one thread,
exact / ktree; 2-core machine at load ~0.9): k_0 = 14: 0.74 (n = 250, Pensia's D);
k_0 = 15-16: 0.9-1.8; k_0 = 17: 0.94-1.48; k_0 = 18: 1.13-1.67; k_0 = 20: 1.07-3.25;
k_0 = 24 (eps 1e-6): 1.4-4.7; k_0 = 31 (eps 1e-8): 10-27 (n = 100-250). Small rows
(Pensia n = 40, ~20 nonzero samples) stay near 1 either way: the tree rarely fits there.
Hence AUTO_PREFIX = 16: the k-tree from eps < 2^-12 ~ 2.4e-4 on rows of more than 16
nonzero samples. Both paths are row-separable, so a problem's answer does not depend on
the other problems of the batch; the exact rows are bit-identical to method="exact".
"""

from __future__ import annotations

import numpy as np

from .exact import first_prefix, solve_exact
from .ktree import solve_ktree
from .registry import Answer, Method

#: the k-tree takes rows whose exact prefix would exceed this many nonzero samples
AUTO_PREFIX = 16


def use_ktree(nnz: np.ndarray, eps: float | None) -> np.ndarray:
    """(P,) bool: rows routed to the k-tree (module docstring)."""
    if eps is None:
        return np.zeros(nnz.shape, dtype=bool)
    return np.minimum(nnz, first_prefix(eps)) > AUTO_PREFIX


def run(a: np.ndarray, z: np.ndarray, eps: float | None, options) -> Answer:
    """``solve(method="auto")``: exact rows and k-tree rows solved as two batches."""
    P, n = a.shape
    tree = use_ktree(np.count_nonzero(a, axis=1), eps if options.adaptive else None)
    if not tree.any():  # e.g. 397k problems of n = 21: no copy of a
        return Answer(
            *solve_exact(a, z, eps, adaptive=options.adaptive, workers=options.workers, on_cap=options.on_cap)
        )
    if tree.all():  # e.g. Pensia's D at n = 250, eps <= 1e-5
        return Answer(*solve_ktree(a, z, eps, seed=options.seed, workers=options.workers, on_cap=options.on_cap))
    masks = np.zeros((P, n), dtype=bool)
    status = np.empty(P, dtype="U12")
    n_used = np.zeros(P, dtype=np.int64)
    for rows, solver in ((np.flatnonzero(~tree), "exact"), (np.flatnonzero(tree), "ktree")):
        if not rows.size:
            continue
        if solver == "exact":
            m, s, u = solve_exact(
                a[rows], z[rows], eps, adaptive=options.adaptive, workers=options.workers, on_cap=options.on_cap
            )
        else:
            m, s, u = solve_ktree(
                a[rows], z[rows], eps, seed=options.seed, workers=options.workers, on_cap=options.on_cap
            )
        masks[rows], status[rows], n_used[rows] = m, s, u
    return Answer(masks, status, n_used)


METHOD = Method(
    "auto",
    run,
    "exact meet-in-the-middle where its prefix is short, the k-tree "
    f"where it would exceed {AUTO_PREFIX} nonzero samples",
)
