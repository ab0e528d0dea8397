"""Subset-Sum with OR-Tools CP-SAT, on integers with a proven rounding bound.

Scaling. CP-SAT works on integers. With a power of two S (so S a_i and S z are exact
in float64), A_i = round(S a_i) and T = round(S z) satisfy |A_i - S a_i| <= ½ and
|T - S z| <= ½, hence for every subset x (|x| = number of selected samples)

    | S |z - a.x| - |T - A.x| |  <=  (|x| + 1) / 2.                        (*)

S = 2^floor(log2(min(1e6/eps, 1e15))) (1e15 without eps), lowered if needed so that
sum |A_i| + |T| < 2^60 (no int64 overflow). Every answer is converted back and
re-evaluated in float64 (``result.evaluate``); no integer objective is reported as an
error.

Models (x_i in {0,1} for the nonzero samples only; zeros are never selected):

* feasibility, tight:    2|T - A.x| + sum x <= floor(2 S eps) - 1.
  By (*) every solution has |z - a.x| <= eps: status ``eps-feasible``.
* feasibility, relaxed:  2|T - A.x| - sum x <= floor(2 S eps) + 1.
  Every subset with |z - a.x| <= eps satisfies it, so if CP-SAT proves it infeasible
  no subset reaches eps: status ``infeasible``. Used when the tight model is infeasible;
  a relaxed solution counts only if its float64 error is <= eps.
* optimality (no eps):   minimise D = |T - A.x|. At the proven optimum D*, (*) gives
  |z - a.x*| <= OPT + (n + 1)/S, reported as ``slack`` (error_bounds = errors + slack).
* min_cardinality (eps): minimise sum x under the relaxed constraint: its optimum k* is
  a lower bound on the size of any subset within eps; if the solution's float64 error
  is <= eps it is the sparsest such subset (``optimal``); otherwise minimise sum x under
  the tight constraint, ``optimal`` if it also reaches k*, else ``eps-feasible``.

Resolution. The grid 1/S is absolute, so problems below it are refused before any solve
(``check_resolution``; use method="exact"): without eps, a nonzero sample with |S a_i| < ½
(it rounds to 0, and "optimal up to the slack (n + 1)/S" would be a claim about a
different problem); with eps, eps < 1/(2S) (the tight model has no solution at all, so
nothing but ``infeasible`` could ever be proven).

Deterministic for a fixed seed with workers=1, as long as no solve hits the time limit.
Measured here (PERFORMANCE.md): a feasible subset for eps = 1e-3 in ~1 ms at any n;
proving an optimum times out from n ~ 24 (the LP bound is 0: it is plain enumeration).
"""

from __future__ import annotations

import math

import numpy as np

from .compact import compact_nonzero, selection_to_masks
from .registry import Answer, Method
from .result import EPS_FEASIBLE, INFEASIBLE, OPTIMAL, TIME_LIMIT, evaluate

#: time limit per CP-SAT solve when ``time_limit=None``
DEFAULT_TIME_LIMIT = 60.0


def scale_for(a: np.ndarray, z: float, eps: float | None) -> float:
    """The power-of-two scale S of the module docstring."""
    target = 1e15 if eps is None else min(1e6 / eps, 1e15)
    magnitude = float(np.abs(a).sum()) + abs(z) + 1.0
    target = min(target, 2.0**60 / magnitude)
    return 2.0 ** math.floor(math.log2(target))


def check_resolution(ac: np.ndarray, z: np.ndarray, nnz: np.ndarray, eps: float | None) -> None:
    """ValueError (before any solve) for a problem below the integer grid 1/S (module docstring)."""
    for p in range(ac.shape[0]):
        a = ac[p, : int(nnz[p])]
        S = scale_for(a, float(z[p]), eps)
        if eps is None and a.size and float(np.abs(a).min()) * S < 0.5:
            raise ValueError(
                f"problem {p}: sample {float(a[np.argmin(np.abs(a))]):.3g} is below the resolution 1/S = {1 / S:.3g} "
                f"of method='cpsat' (its integer grid is absolute; it would round to 0): use method='exact'"
            )
        if eps is not None and 2 * S * eps < 1:
            raise ValueError(
                f"problem {p}: eps = {eps:.3g} is below the resolution 1/(2S) = {0.5 / S:.3g} of method='cpsat' "
                f"(its integer grid is absolute): use method='exact'"
            )


def _cp_model():
    """OR-Tools' CP-SAT module, imported on first use: importing it takes about 0.3 s and
    only ``method="cpsat"`` needs it (every other command starts without it)."""
    from ortools.sat.python import cp_model

    return cp_model


def _solve_model(model, time_limit: float, workers: int, seed: int):
    solver = _cp_model().CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = time_limit
    # never install CP-SAT's own Ctrl-C handler: it swallows the KeyboardInterrupt of the
    # caller, and in a worker that ignores Ctrl-C it aborted the process (std::bad_function_call)
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(model)
    return solver, status


def _base_model(A: list[int]):
    model = _cp_model().CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(A))]
    expr = sum(Ai * xi for Ai, xi in zip(A, x)) if A else 0
    return model, x, expr


def _model(A, T, kind, bound, minimise_count=False):
    """kind 'tight': 2|T - A.x| + sum x <= bound; 'relaxed': 2|T - A.x| - sum x <= bound;
    'opt': minimise |T - A.x|."""
    model, x, expr = _base_model(A)
    count = sum(x) if x else 0
    if kind == "opt":
        dev = model.new_int_var(0, 2**61, "dev")
        model.add(dev >= T - expr)
        model.add(dev >= expr - T)
        model.minimize(dev)
    else:
        sign = 1 if kind == "tight" else -1
        model.add(2 * (T - expr) + sign * count <= bound)
        model.add(2 * (expr - T) + sign * count <= bound)
        if minimise_count:
            model.minimize(count)
    return model, x


def _values(solver, x) -> np.ndarray:
    return np.array([bool(solver.boolean_value(v)) for v in x], dtype=bool)


def solve_one(
    a: np.ndarray,
    z: float,
    eps: float | None,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    min_cardinality: bool = False,
):
    """One problem on its nonzero samples ``a`` (n,). Returns
    (mask (n,) bool, status, slack, backend_status)."""
    cp_model = _cp_model()
    n = a.shape[0]
    S = scale_for(a, z, eps)
    A = [int(v) for v in np.rint(S * a)]
    T = int(np.rint(S * z))
    empty = np.zeros(n, dtype=bool)

    def err(mask):
        return float(evaluate(a[None, :], mask[None, :], np.array([z]))[1][0])

    def run(kind, bound=0, minimise_count=False):
        model, x = _model(A, T, kind, bound, minimise_count)
        solver, st = _solve_model(model, time_limit, workers, seed)
        found = st in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        return (_values(solver, x) if found else empty), st, solver.status_name(st)

    if eps is None:
        mask, st, name = run("opt")
        slack = (n + 1) / S
        return mask, (OPTIMAL if st == cp_model.OPTIMAL else TIME_LIMIT), slack, name

    tight = math.floor(2 * S * eps) - 1
    relaxed = math.floor(2 * S * eps) + 1
    if min_cardinality:
        mask, st, name = run("relaxed", relaxed, minimise_count=True)
        if st == cp_model.INFEASIBLE:
            return empty, INFEASIBLE, 0.0, name
        if st == cp_model.OPTIMAL and err(mask) <= eps:
            return mask, OPTIMAL, 0.0, name
        k_low = int(mask.sum()) if st == cp_model.OPTIMAL else None
        mask2, st2, name2 = run("tight", tight, minimise_count=True)
        if st2 in (cp_model.OPTIMAL, cp_model.FEASIBLE) and err(mask2) <= eps:
            proven = st2 == cp_model.OPTIMAL and k_low is not None and mask2.sum() == k_low
            return mask2, (OPTIMAL if proven else EPS_FEASIBLE), 0.0, f"{name}/{name2}"
        if st == cp_model.FEASIBLE and err(mask) <= eps:
            return mask, EPS_FEASIBLE, 0.0, f"{name}/{name2}"
        return (mask if err(mask) < err(mask2) else mask2), TIME_LIMIT, 0.0, f"{name}/{name2}"

    mask, st, name = run("tight", tight)
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) and err(mask) <= eps:
        return mask, EPS_FEASIBLE, 0.0, name
    if st != cp_model.INFEASIBLE:
        return mask, TIME_LIMIT, 0.0, name
    mask, st, name2 = run("relaxed", relaxed)
    name = f"{name}/{name2}"
    if st == cp_model.INFEASIBLE:
        return empty, INFEASIBLE, 0.0, name
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE) and err(mask) <= eps:
        return mask, EPS_FEASIBLE, 0.0, name
    # a relaxed solution within the rounding slack of eps, or the time limit: unresolved
    return mask, TIME_LIMIT, 0.0, name


def solve_cpsat(
    ac: np.ndarray,
    z: np.ndarray,
    nnz: np.ndarray,
    eps: float | None,
    *,
    time_limit: float | None,
    workers: int,
    seed: int,
    min_cardinality: bool,
):
    """All problems, one CP-SAT model each, on compacted samples ``ac`` (P, n) with
    ``nnz`` nonzero samples per row. Returns (codes as bool (P, n) over the compacted
    columns, status, slack, backend_status)."""
    P, n = ac.shape
    check_resolution(ac, z, nnz, eps)
    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    sel = np.zeros((P, n), dtype=bool)
    status = np.empty(P, dtype="U12")
    slack = np.zeros(P)
    backend = np.empty(P, dtype=object)
    for p in range(P):  # one model per problem: CP-SAT is not the batched path
        k = int(nnz[p])
        mask, status[p], slack[p], backend[p] = solve_one(
            ac[p, :k], float(z[p]), eps, time_limit=limit, workers=workers, seed=seed, min_cardinality=min_cardinality
        )
        sel[p, :k] = mask
    return sel, status, slack, backend.astype(str)


def run(a: np.ndarray, z: np.ndarray, eps: float | None, options) -> Answer:
    """``solve(method="cpsat")``: one CP-SAT model per problem on its nonzero samples."""
    ac, cols, nnz = compact_nonzero(a)
    sel, status, slack, backend = solve_cpsat(
        ac,
        z,
        nnz,
        eps,
        time_limit=options.time_limit,
        workers=options.workers,
        seed=options.seed,
        min_cardinality=options.min_cardinality,
    )
    return Answer(selection_to_masks(sel, cols), status, nnz, slack, backend)


METHOD = Method(
    "cpsat",
    run,
    "OR-Tools CP-SAT on integers with a proven rounding bound "
    "(with eps: feasibility; --min-cardinality: the sparsest subset within eps)",
)
