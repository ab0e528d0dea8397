"""The problems and the timed run of ``slt bench subsetsum``: ``instances`` draws problems
chunk-wise seeded; the run solves all --instances problems through ``solve``, in
this process (``--workers`` threads) or on an ``--executor`` (``slt.executors``), with the
statistics, a SHA-256 of every mask (equal hashes = bit-identical masks) and, for
``--compare-executors``, the time and CPU ratios against the first executor, measured in
the same run."""

from __future__ import annotations

import hashlib
import os
import sys
import time

import numpy as np

#: problems drawn per chunk (instances depend only on seed, n and the problem index)
CHUNK = 1 << 14
#: methods solving one model per problem (``workers`` = their own workers, time limit)
SINGLE_THREAD = ("cpsat", "milp")
#: sample values per batch handed to ``solve`` with an executor (it cuts each into tasks):
#: 2^24 values = 128 MB of float64, e.g. the 397,000 problems of n = 21 in one batch
BATCH_VALUES = 1 << 24
#: problems solved on an executor before the timing starts, in 40 tasks (every worker
#: imports the solvers once; reported in executor_start_seconds)
WARM_UP = 20_000


def instances(distribution: str, n: int, seed: int, start: int, stop: int):
    """Problems start..stop-1: samples (P, n) and targets (P,), chunk-wise seeded."""
    from subsetsum import SAMPLERS

    parts_a, parts_z = [], []
    for c in range(start // CHUNK, -(-stop // CHUNK)):
        rng = np.random.default_rng([seed, c])
        a = SAMPLERS[distribution](rng, (CHUNK, n))
        z = rng.uniform(-1.0, 1.0, CHUNK)
        lo, hi = max(start - c * CHUNK, 0), min(stop - c * CHUNK, CHUNK)
        parts_a.append(a[lo:hi])
        parts_z.append(z[lo:hi])
    if not parts_a:
        return np.zeros((0, n)), np.zeros(0)
    return np.concatenate(parts_a), np.concatenate(parts_z)


class _Tally:
    """Running statistics of the timed run (and a SHA-256 of every mask, in problem order:
    equal hashes = bit-identical masks, e.g. between executors)."""

    def __init__(self):
        from subsetsum import STATUSES

        self.counts = dict.fromkeys(STATUSES, 0)
        self.max_err = self.sum_err = 0.0
        self.within = self.selected = 0
        self.hash = hashlib.sha256()

    def add(self, res, eps) -> None:
        self.max_err = max(self.max_err, float(res.errors.max()))
        self.sum_err += float(res.errors.sum())
        self.selected += int(res.masks.sum())
        if eps is not None:
            self.within += int(np.count_nonzero(res.errors <= eps))
        for s, c in res.counts().items():
            self.counts[s] += c
        self.hash.update(np.packbits(res.masks, axis=1).tobytes())


def _solve_options(args, executor) -> dict:
    """solve's keywords for the timed run: ``--workers`` threads in this process; one thread
    per task on an executor (its workers are the parallelism)."""
    single = args.method in SINGLE_THREAD
    return dict(
        eps=args.eps,
        method=args.method,
        seed=args.seed,
        workers=1 if single or executor is not None else args.workers,
        time_limit=args.time_limit if single else None,
        adaptive=not args.no_adaptive,
        on_cap="prefix",
        executor=executor,
        chunk_rows=args.chunk_rows if executor is not None else None,
    )


def _timed_run(args, executor=None) -> dict:
    """All --instances problems: in batches of CHUNK in this process, or (``executor``) in
    batches of up to BATCH_VALUES sample values, each cut into tasks by ``solve``."""
    from subsetsum import solve

    tally, solve_s, gen_s = _Tally(), 0.0, 0.0
    batch = CHUNK if executor is None else max(CHUNK, BATCH_VALUES // max(args.n, 1) // CHUNK * CHUNK)
    options = _solve_options(args, executor)
    t_start, cpu_start = time.perf_counter(), time.process_time()
    last = t_start
    for start in range(0, args.instances, batch):
        stop = min(start + batch, args.instances)
        t0 = time.perf_counter()
        a, z = instances(args.distribution, args.n, args.seed, start, stop)
        t1 = time.perf_counter()
        res = solve(a, z, **options)
        t2 = time.perf_counter()
        gen_s += t1 - t0
        solve_s += t2 - t1
        tally.add(res, args.eps)
        if t2 - last > 2.0 or (stop == args.instances and t2 - t_start > 2.0):
            tty = sys.stderr.isatty()
            print(
                f"{chr(13) if tty else ''}slt bench subsetsum: {stop}/{args.instances} problems, "
                f"{solve_s:.1f} s solving",
                end="\n" if stop == args.instances or not tty else "",
                file=sys.stderr,
                flush=True,
            )
            last = t2
    counts = tally.counts
    resolved = counts["optimal"] + counts["eps-feasible"] + counts["infeasible"]
    return {
        "seconds": solve_s,
        "generate_seconds": gen_s,
        "cpu_seconds": time.process_time() - cpu_start,
        "load_average": os.getloadavg()[0],
        "problems_per_second": args.instances / solve_s if solve_s > 0 else float("inf"),
        "us_per_problem": solve_s / args.instances * 1e6,
        "max_error": tally.max_err,
        "mean_error": tally.sum_err / args.instances,
        "mean_selected": tally.selected / args.instances,
        "fraction_within_eps": tally.within / args.instances if args.eps is not None else None,
        "fraction_proven": resolved / args.instances,
        "status_counts": counts,
        "masks_sha256": tally.hash.hexdigest(),
    }


def _machine_cpu() -> float | None:
    """CPU seconds of this process and its child processes (a local pool's or LocalCluster's
    workers) so far; None without psutil (installed with dask)."""
    try:
        import psutil
    except ImportError:
        return None
    total = 0.0
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def executor_run(args, spec: str) -> dict:
    """The timed run on ``--executor spec`` (local: this process, ``--workers`` threads);
    the time to start and stop the executor (and warm its workers up) is reported apart
    from the solving time, and the CPU seconds of this machine's processes (client and
    local workers) during the solving, which do not depend on how busy the machine is."""
    from subsetsum import solve

    from .executors import open_executor

    t0 = time.perf_counter()
    with open_executor(spec) as executor:
        if executor is not None:  # each worker imports the solvers once (~0.4 s CPU): not timed
            a, z = instances(args.distribution, args.n, args.seed, 0, min(args.instances, WARM_UP))
            solve(a, z, **{**_solve_options(args, executor), "chunk_rows": max(1, WARM_UP // 40)})
        started = time.perf_counter()
        cpu0 = _machine_cpu()
        out = _timed_run(args, executor)
        cpu1 = _machine_cpu()
        stopping = time.perf_counter()
    out["executor"] = spec
    if cpu0 is not None and not spec.startswith(("tcp://", "dask://")):
        out["machine_cpu_seconds"] = cpu1 - cpu0
    out["executor_start_seconds"] = started - t0
    out["executor_stop_seconds"] = time.perf_counter() - stopping
    return out


def compare_executors(args) -> dict:
    """The timed run on each --compare-executors spec, the same problems; ratios of the
    solving time to the first spec's (measured in this run) and whether the masks agree."""
    runs = {spec: executor_run(args, spec) for spec in args.compare_executors}
    first = runs[args.compare_executors[0]]
    for r in runs.values():
        r["time_ratio_vs_first"] = r["seconds"] / first["seconds"]
        if r.get("machine_cpu_seconds") and first.get("machine_cpu_seconds"):
            r["cpu_ratio_vs_first"] = r["machine_cpu_seconds"] / first["machine_cpu_seconds"]
        r["same_masks_as_first"] = r["masks_sha256"] == first["masks_sha256"]
    return {"specs": list(args.compare_executors), **runs, "load_average": os.getloadavg()[0]}
