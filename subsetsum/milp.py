"""Subset-Sum as a MILP for HiGHS (scipy.optimize.milp), offered for cross-checking.

    minimise e  subject to  a.x + e >= z,  a.x - e <= z,  x in {0,1}^n,  0 <= e;
    with eps: e <= eps and no objective (feasibility).

PITFALL (measured, PERFORMANCE.md): HiGHS works with feasibility and integrality
tolerances (~1e-6). From n ~ 24 it reports "optimal" for subsets whose true error is
1e-7..1e-5 while the optimum is far smaller: the objective e collapses to ~0 inside the
tolerance. Its claims are therefore never reported as such:

* the mask (x rounded to {0,1}) is re-evaluated in float64 (``result.evaluate``);
* ``eps-feasible`` only if that float64 error is <= eps;
* ``optimal`` / ``infeasible`` only if the exact solver (meet-in-the-middle, n <= 44
  nonzero samples) confirms it: error <= exact optimum + 2^-44 (|z| + sum|a|), resp.
  exact optimum > eps;
* otherwise ``time-limit`` ("nothing proven"); HiGHS's own word is kept in
  ``backend_status``.

HiGHS's tolerances are absolute, so a problem whose samples and target are all below
:data:`TOLERANCE` in magnitude is refused before any solve (use method="exact"): every
subset's error lies inside the tolerance, so HiGHS "proves" any of them optimal.
"""

from __future__ import annotations

import contextlib
import os
import sys

import numpy as np

from .compact import compact_nonzero, selection_to_masks
from .exact import MAX_N, solve_exact
from .registry import Answer, Method
from .result import EPS_FEASIBLE, INFEASIBLE, OPTIMAL, TIME_LIMIT, evaluate

#: time limit per HiGHS solve when ``time_limit=None``
DEFAULT_TIME_LIMIT = 60.0
#: problems whose largest |sample| and |target| are below this are refused (HiGHS's
#: mip_feasibility_tolerance, absolute)
TOLERANCE = 1e-6
_HIGHS = {0: "optimal", 1: "limit", 2: "infeasible", 3: "unbounded", 4: "error"}


@contextlib.contextmanager
def _quiet_stdout():
    """HiGHS's C++ code prints debug lines to the process's stdout (file descriptor 1),
    which would corrupt ``--json`` output: send fd 1 to /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def solve_one(a: np.ndarray, z: float, eps: float | None, time_limit: float):
    """HiGHS on one problem with nonzero samples ``a`` (n,): (mask, HiGHS status word).
    With eps the objective is 0 (pure feasibility: stop at the first subset found).
    SciPy's optimize is imported here, on first use (~0.4 s off every other command)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = a.shape[0]
    c = np.zeros(n + 1)
    c[n] = 1.0 if eps is None else 0.0
    A = np.zeros((2, n + 1))
    A[:, :n] = a
    A[0, n], A[1, n] = 1.0, -1.0
    cons = LinearConstraint(A, [z, -np.inf], [np.inf, z])
    upper = np.ones(n + 1)
    upper[n] = np.inf if eps is None else eps
    integrality = np.ones(n + 1)
    integrality[n] = 0
    with _quiet_stdout():
        res = milp(
            c,
            constraints=cons,
            integrality=integrality,
            bounds=Bounds(np.zeros(n + 1), upper),
            options={"time_limit": time_limit, "mip_rel_gap": 0.0, "disp": False},
        )
    mask = (res.x[:n] > 0.5) if res.x is not None else np.zeros(n, dtype=bool)
    return mask, _HIGHS.get(res.status, "error")


def solve_milp(ac: np.ndarray, z: np.ndarray, nnz: np.ndarray, eps: float | None, *, time_limit: float | None):
    """All problems, one HiGHS model each, on compacted samples ``ac`` (P, n).
    Returns (selection over compacted columns, status, backend_status)."""
    P, n = ac.shape
    scale = np.maximum(np.abs(ac).max(axis=1, initial=0.0), np.abs(z))
    tiny = np.flatnonzero((scale < TOLERANCE) & (nnz > 0))
    if tiny.size:
        p = int(tiny[0])
        raise ValueError(
            f"problem {p}: its samples and target are at most {scale[p]:.3g} in magnitude, below HiGHS's absolute "
            f"tolerance {TOLERANCE:g} (method='milp' cannot tell its subsets apart): "
            "rescale it or use method='exact'"
        )
    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    sel = np.zeros((P, n), dtype=bool)
    backend = np.empty(P, dtype=object)
    for p in range(P):  # one model per problem: HiGHS is a cross-check, not the fast path
        k = int(nnz[p])
        sel[p, :k], backend[p] = solve_one(ac[p, :k], float(z[p]), eps, limit)
    _, err = evaluate(ac, sel, z)
    status = np.full(P, TIME_LIMIT, dtype="U12")
    if eps is not None:
        status[err <= eps] = EPS_FEASIBLE
    # verify the "optimal"/"infeasible" claims with the exact solver where it applies
    claims = (backend == "optimal") if eps is None else (backend == "infeasible")
    check = np.flatnonzero(claims & (nnz <= MAX_N) & (status == TIME_LIMIT))
    if check.size:
        masks, _, _ = solve_exact(ac[check], z[check])
        _, best = evaluate(ac[check], masks, z[check])
        if eps is None:
            scale = np.abs(z[check]) + np.abs(ac[check]).sum(axis=1)
            ok = err[check] <= best + 2.0**-44 * scale
            status[check[ok]] = OPTIMAL
        else:
            status[check[best > eps]] = INFEASIBLE
    return sel, status, backend.astype(str)


def run(a: np.ndarray, z: np.ndarray, eps: float | None, options) -> Answer:
    """``solve(method="milp")``: one HiGHS model per problem, every claim re-verified."""
    ac, cols, nnz = compact_nonzero(a)
    sel, status, backend = solve_milp(ac, z, nnz, eps, time_limit=options.time_limit)
    return Answer(selection_to_masks(sel, cols), status, nnz, None, backend)


METHOD = Method("milp", run, "HiGHS MILP via SciPy, for cross-checking only (claims re-verified by the exact solver)")
