"""``solve``: one entry point for a batch of independent Subset-Sum problems.

Problem p: minimise |z_p - sum_{i in S} a_{p,i}| over subsets S of [n] (or, with eps,
reach |z_p - sum_S a_{p,i}| <= eps). Zero samples are removed before any solver sees the
problem (they do not change the subset sums), so a mask never selects a zero.
"""

from __future__ import annotations

import time

from groups import check_flag

from .inputs import check_eps, check_executor, check_on_cap, check_problem, check_seed, check_time_limit, check_workers
from .parallel import concatenate_rows, map_row_chunks, rows_per_task
from .registry import METHODS, Answer, Options, check_method
from .result import SubsetSumResult, make_result


def solve(
    samples,
    targets,
    eps=None,
    method="exact",
    *,
    time_limit=None,
    workers=1,
    seed=0,
    min_cardinality=False,
    adaptive=True,
    on_cap="raise",
    executor=None,
    chunk_rows=None,
) -> SubsetSumResult:
    """Solve P independent Subset-Sum problems.

    samples: (P, n) floats (or (n,): one sample vector shared by all targets);
    targets: (P,) floats; eps: None or > 0.

    method="exact" (default): meet-in-the-middle (``subsetsum.exact``), exact optimum,
        vectorised over problems, up to ``exact.MAX_N`` = 44 nonzero samples per problem.
        With eps and ``adaptive`` (default) it stops as soon as a prefix of the samples
        reaches eps (status ``eps-feasible``); problems that never do get the exact
        optimum (``optimal``, or ``infeasible`` if it is above eps). ``workers`` threads.
        Above the cap: ValueError, or with ``on_cap="prefix"`` the exact optimum over
        the first 44 nonzero samples, status ``capped`` (not claimed optimal).
    method="ktree" (eps required): Wagner's k-tree for many samples and few bits
        (``subsetsum.ktree``): eps-feasible subsets (never claimed optimal), groupings
        seeded by ``seed``, ``workers`` threads; problems it cannot bring within eps fall
        back to the exact path (with ``on_cap``), keeping the better answer.
    method="auto": per problem, the exact path where its prefix is short (at most 16
        nonzero samples), ktree above (``subsetsum.auto``: rule and measurements).
    method="cpsat": OR-Tools CP-SAT on integers with a proven rounding bound
        (``subsetsum.cpsat``): with eps a feasibility model (or, with
        ``min_cardinality=True``, the sparsest subset within eps); without eps, the
        optimum up to ``slack``. ``workers`` CP-SAT workers, ``seed``, ``time_limit`` per
        problem (default 60 s).
    method="milp": HiGHS via scipy, for cross-checking only; every claim re-verified
        (``subsetsum.milp``).

    Returns a ``SubsetSumResult`` (masks, sums, errors re-evaluated in float64, status,
    error_bounds, ...). Same inputs, same masks. Methods come from the registry
    ``subsetsum.registry.METHODS``; every method is row-separable (a problem's answer does
    not depend on the other rows), so batches may be cut into row chunks anywhere.

    executor: None (this process, ``workers`` threads) or any ``concurrent.futures.Executor``
    (a process pool, Dask's ``Client.get_executor()``): one task per ``chunk_rows`` rows
    (default about 2^18 sample values, ``parallel.rows_per_task``); same masks bit for bit.
    """
    t0 = time.perf_counter()
    a, z = check_problem(samples, targets)
    eps = check_eps(eps)
    entry = check_method(method)
    executor = check_executor(executor)
    options = Options(
        time_limit=check_time_limit(time_limit),
        workers=check_workers(workers),
        seed=check_seed(seed),
        min_cardinality=check_flag("min_cardinality", min_cardinality),
        adaptive=check_flag("adaptive", adaptive),
        on_cap=check_on_cap(on_cap),
    )
    if min_cardinality and (method != "cpsat" or eps is None):
        raise ValueError(f"min_cardinality=True needs method='cpsat' and an eps > 0, got method={method!r}, eps={eps}")
    if entry.needs_eps and eps is None:
        raise ValueError(
            f"method={method!r} needs an eps > 0 (it searches for a subset within "
            f"eps), got eps=None; use method='exact' for the optimum"
        )
    if executor is None:
        answer = entry.run(a, z, eps, options)
    else:
        parts = map_row_chunks(
            executor, _run_chunk, a, z, entry.name, eps, options, rows=rows_per_task(*a.shape, chunk_rows)
        )
        answer = Answer(*concatenate_rows(parts)) if parts else entry.run(a, z, eps, options)
    return make_result(
        a,
        z,
        answer.masks,
        answer.status,
        method=method,
        eps=eps,
        n_used=answer.n_used,
        slack=answer.slack,
        backend_status=answer.backend_status,
        seconds=time.perf_counter() - t0,
    )


def _run_chunk(a, z, method: str, eps, options) -> Answer:
    """One Executor task of ``solve``: method ``method`` on a row chunk (module-level, so
    process pools and Dask can pickle it by reference)."""
    return METHODS[method].run(a, z, eps, options)
