"""``slt calibrate``: measure the random Subset-Sum requirement m(eps, delta) (THEORY §3, §5 level 3).

The construction's Subset-Sum samples all follow Pensia's D = ½δ0 + ½Law(UV) (both paths,
every layer), so D is the one distribution calibrated. Two axes of seeded Monte-Carlo:

* precision: eps'' on a grid (default 1e-1 .. 1e-8) at a fixed delta'' (0.1);
* confidence: delta'' on a grid (default 1e-1 .. 3e-6) at a fixed eps'' (1e-2), 3 10^6 trials.

Per trial, ``subsetsum.layered_prefixes`` (precision) or ``subsetsum.certified_prefixes``
(confidence) gives a rigorous upper bound m^ of the shortest prefix of one draw whose
sup-error is <= eps''; ``bounds`` turns them into points (the smallest m with a one-sided
Clopper-Pearson bound P(m^ > m) <= delta'', all points simultaneously by Bonferroni) and
fits m = a log2(1/eps) + b ln(1/delta) + c (and the paper's one-constant form), raised to
cover every point. Trials run in seeded chunks (results do not depend on --jobs), each
chunk saved atomically to the cache directory as it arrives: a killed run resumes.
"""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from bounds import CALIBRATION_PATH, bonferroni_alpha, calibration_record, check_grid, trials_needed
from groups import check_int, check_memory

from .executors import add_executor_argument, completed, executor_label, open_executor, parse_executor
from .pool import check_jobs
from .progress import progress_bar

FULL = {
    "eps_grid": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8],
    "delta": 0.1,
    "precision_trials": 400,
    "delta_grid": [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6],
    "eps": 1e-2,
    "confidence_trials": 3_000_000,
    "chunk": 10_000,
}
QUICK = {
    "eps_grid": [1e-1, 1e-2, 1e-3],
    "delta": 0.2,
    "precision_trials": 60,
    "delta_grid": [1e-1, 3e-2, 1e-2],
    "eps": 1e-2,
    "confidence_trials": 3000,
    "chunk": 1000,
}
#: samples per trial (precision / confidence axis), trials per precision chunk
M_PRECISION, M_CONFIDENCE, PRECISION_CHUNK = 240, 160, 10
#: the walks' settings: exact core of the confidence walk, the m^ above which a trial is walked
#: again with a core of FULL_CORE, and above which also with the layered walk; exact part, window
#: budget, step of the precision walk
CORE, RECHECK_ABOVE, FULL_CORE, LAYERED_ABOVE, EXACT_MAX, BUDGET, STEP = 14, 55, 20, 85, 20, 1 << 21, 2
DEFAULT_OUT = "calibration.json"
#: finest eps'' either axis accepts: float64 sums of M_PRECISION samples of size <= 1 round at
#: about M_PRECISION 2^-53 = 3e-14, so no rigorous certificate resolves finer
EPS_MIN = 1e-12
#: most trials per axis (the full run: 400 precision, 3,000,000 confidence trials)
MAX_TRIALS = {"precision_trials": 1_000_000, "confidence_trials": 100_000_000}
#: float64 arrays of a chunk's shape a confidence walk holds at once (samples, compacted values,
#: order, cumulative sums, extension, masks): the memory estimate checked before a run
WORK_ARRAYS = 8


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="measure the random Subset-Sum requirement m(eps, delta) on "
        "Pensia's D (writes --out; --install replaces the shipped one)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--quick", action="store_true", help="CI-sized run (seconds): small grids, few trials")
    p.add_argument(
        "--eps-grid",
        type=float,
        nargs="+",
        metavar="EPS",
        help=f"precision axis: eps'' values (default {FULL['eps_grid']})",
    )
    p.add_argument("--delta", type=float, help=f"precision axis: the fixed delta'' (default {FULL['delta']})")
    p.add_argument(
        "--precision-trials", type=int, metavar="T", help=f"precision axis trials (default {FULL['precision_trials']})"
    )
    p.add_argument(
        "--delta-grid",
        type=float,
        nargs="+",
        metavar="DELTA",
        help=f"confidence axis: delta'' values (default {FULL['delta_grid']})",
    )
    p.add_argument("--eps", type=float, help=f"confidence axis: the fixed eps'' (default {FULL['eps']})")
    p.add_argument(
        "--confidence-trials",
        type=int,
        metavar="T",
        help=f"confidence axis trials (default {FULL['confidence_trials']:,})",
    )
    p.add_argument("--level", type=float, default=0.95, help="simultaneous confidence of all points (default 0.95)")
    p.add_argument("--seed", type=int, default=20240607, help="random seed (default 20240607)")
    p.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="worker processes of --executor local, 1..1024 (default 2; at most min(N, chunks, cores) are "
        "started; results do not depend on it)",
    )
    add_executor_argument(p)
    p.add_argument(
        "--chunk",
        type=int,
        metavar="N",
        help=f"confidence-axis trials per seeded chunk (default {FULL['chunk']:,}; "
        f"precision chunks hold {PRECISION_CHUNK} trials)",
    )
    p.add_argument(
        "--out",
        metavar="PATH",
        default=DEFAULT_OUT,
        help=f"output JSON (default ./{DEFAULT_OUT}, in the working directory)",
    )
    p.add_argument("--cache", metavar="DIR", help="chunk cache directory (default: OUT.cache next to --out)")
    p.add_argument("--json", action="store_true", help="print the calibration record as JSON on stdout; no progress")
    p.add_argument(
        "--install",
        action="store_true",
        help=f"also replace the shipped calibration {CALIBRATION_PATH} (used by slt width and prune)",
    )
    p.set_defaults(func=run)


def run_chunk(task: dict) -> np.ndarray:
    """m^ (trials, grid) of one seeded chunk: draws from D, then the axis' walk (subsetsum)."""
    from subsetsum import SAMPLERS, certified_prefixes, layered_prefixes

    rng = np.random.default_rng(np.random.SeedSequence(task["seed"], spawn_key=(task["axis_code"], task["index"])))
    samples = SAMPLERS["pensia"](rng, (task["size"], task["m_max"]))
    if task["axis"] == "precision":
        return layered_prefixes(samples, task["grid"], exact_max=EXACT_MAX, budget=BUDGET, step=STEP)
    return certified_prefixes(
        samples, task["grid"], core=CORE, recheck_above=RECHECK_ABOVE, full_core=FULL_CORE, layered_above=LAYERED_ABOVE
    )


def code_fingerprint() -> str:
    """Hash of the code a chunk runs (the walks, covering certificates, sums, sampler): a
    cached chunk is reused only if it was computed by the same code."""
    from subsetsum import SAMPLERS, certified_prefixes, compact_nonzero, sup_error

    modules = {inspect.getmodule(f) for f in (certified_prefixes, sup_error, compact_nonzero, SAMPLERS["pensia"])}
    modules.add(sys.modules["subsetsum.cover"])
    modules.add(sys.modules["subsetsum.sums"])
    text = "".join(inspect.getsource(m) for m in sorted(modules, key=lambda m: m.__name__))
    text += inspect.getsource(run_chunk) + repr(
        (CORE, RECHECK_ABOVE, FULL_CORE, LAYERED_ABOVE, EXACT_MAX, BUDGET, STEP)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_tasks(axis: str, grid: list, trials: int, chunk: int, m_max: int, seed: int, fingerprint: str) -> list:
    """The seeded chunks of one axis, each with its cache key."""
    code = {"precision": 0, "confidence": 1}[axis]
    tasks = []
    for index in range(math.ceil(trials / chunk)):
        size = min(chunk, trials - index * chunk)
        key = json.dumps([axis, grid, m_max, seed, chunk, index, size, fingerprint])
        tasks.append(
            {
                "axis": axis,
                "axis_code": code,
                "grid": grid,
                "index": index,
                "size": size,
                "m_max": m_max,
                "seed": seed,
                "file": f"{axis}-{index:05d}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npy",
            }
        )
    return tasks


def _save_chunk(cache: Path, task: dict, m_hat: np.ndarray) -> None:
    from constructions import atomic_write

    atomic_write(cache / task["file"], lambda fh: np.save(fh, m_hat, allow_pickle=False))


def _load_chunk(cache: Path, task: dict):
    path = cache / task["file"]
    try:
        m_hat = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    ok = m_hat.shape == (task["size"], len(task["grid"])) and not np.isnan(m_hat).any()
    return m_hat if ok else None


def run_tasks(tasks: list, cache: Path, jobs: int, progress: bool, executor="local") -> dict:
    """{task file: m^} for every task: cached chunks are read, the others computed on the
    executor (``slt.executors``: a local pool of at most min(``jobs``, chunks, cores)
    processes, or Dask workers) and saved as they arrive (an interrupted run keeps them)."""
    results = {t["file"]: _load_chunk(cache, t) for t in tasks}
    todo = [t for t in tasks if results[t["file"]] is None]
    with progress_bar(sum(t["size"] for t in tasks), "calibrate", unit="trial", enabled=progress) as bar:
        bar.update(sum(t["size"] for t in tasks) - sum(t["size"] for t in todo))
        with open_executor(executor if todo else None, jobs=jobs, work=len(todo)) as pool:
            for index, m_hat in completed(pool, run_chunk, todo):
                task = todo[index]
                results[task["file"]] = m_hat
                _save_chunk(cache, task, m_hat)
                bar.update(task["size"])
    return results


def settings(args) -> dict:
    """The run's settings: --quick or full defaults, overridden by flags (0 is never a default)."""
    base = dict(QUICK if args.quick else FULL)
    for key in ("eps_grid", "delta", "precision_trials", "delta_grid", "eps", "confidence_trials", "chunk"):
        value = getattr(args, key)
        if value is not None:
            base[key] = value
    base["eps_grid"] = check_grid(base["eps_grid"], "--eps-grid")
    base["delta_grid"] = check_grid(base["delta_grid"], "--delta-grid")
    check_grid([base["delta"]], "--delta")
    check_grid([base["eps"]], "--eps")
    for flag, values in (("--eps-grid", base["eps_grid"]), ("--eps", [base["eps"]])):
        if min(values) < EPS_MIN:
            raise ValueError(
                f"{flag} {min(values):g} is below {EPS_MIN:g}: float64 sums of {M_PRECISION} samples round "
                f"at about 3e-14, so no rigorous certificate resolves it (accepted: [{EPS_MIN:g}, 1))"
            )
    for flag, key in (("--precision-trials", "precision_trials"), ("--confidence-trials", "confidence_trials")):
        check_int(flag, base[key], 1, MAX_TRIALS[key])
    check_int("--chunk", base["chunk"], 1)
    check_jobs(args.jobs)
    parse_executor(args.executor)
    check_memory(
        base["chunk"] * M_CONFIDENCE * 8 * WORK_ARRAYS * min(args.jobs, 2),
        f"--chunk {base['chunk']}: {M_CONFIDENCE} samples per trial, {WORK_ARRAYS} working arrays, "
        f"{min(args.jobs, 2)} chunk(s) at a time",
        "use a smaller --chunk",
    )
    check_int("--seed", args.seed, 0)
    alpha = bonferroni_alpha(args.level, len(base["eps_grid"]) + len(base["delta_grid"]))
    for flag, trials, delta in (
        ("--precision-trials", base["precision_trials"], base["delta"]),
        ("--confidence-trials", base["confidence_trials"], min(base["delta_grid"])),
    ):
        need = trials_needed(delta, alpha)
        if trials < need:
            raise ValueError(
                f"{flag} {trials} is too few: even with no failure the Clopper-Pearson bound reaches "
                f"delta'' = {delta:g} only from {need} trials (simultaneous level {args.level:g})"
            )
    base["alpha"] = alpha
    return base


def run(args) -> int:
    if args.quick and args.install:
        raise ValueError("--install with --quick would ship a CI-sized calibration: run the full one to install")
    conf = settings(args)
    from constructions import check_output_dir, check_writable

    out = check_writable(args.out, "--out")
    cache = check_output_dir(
        args.cache if args.cache is not None else out.with_name(out.name + ".cache"), "--cache", parents=True
    )
    if args.install:
        check_writable(CALIBRATION_PATH, "--install target")
    cache.mkdir(parents=True, exist_ok=True)
    fp = code_fingerprint()
    precision = plan_tasks(
        "precision", conf["eps_grid"], conf["precision_trials"], PRECISION_CHUNK, M_PRECISION, args.seed, fp
    )
    confidence = plan_tasks(
        "confidence", [conf["eps"]], conf["confidence_trials"], conf["chunk"], M_CONFIDENCE, args.seed, fp
    )
    print(
        f"calibrate: precision axis eps'' {conf['eps_grid']} at delta'' {conf['delta']:g}, "
        f"{conf['precision_trials']} trials; confidence axis delta'' {conf['delta_grid']} at eps'' {conf['eps']:g}, "
        f"{conf['confidence_trials']} trials; {executor_label(args.executor, args.jobs)}, "
        f"seed {args.seed}, cache {cache}",
        file=sys.stderr,
    )
    start = time.time()
    results = run_tasks(precision + confidence, cache, args.jobs, progress=not args.json, executor=args.executor)
    m_prec = np.concatenate([results[t["file"]] for t in precision])
    m_conf = np.concatenate([results[t["file"]] for t in confidence])[:, 0]
    data = calibration_record(
        m_prec, conf["eps_grid"], conf["delta"], m_conf, conf["eps"], conf["delta_grid"], args.level
    )
    data.update(provenance(args, conf, time.time() - start))
    write_json(out, data)
    if args.install:
        write_json(CALIBRATION_PATH, data)
    if args.json:
        print(
            json.dumps(
                {**data, "out": str(out), "installed": str(CALIBRATION_PATH) if args.install else None}, indent=2
            )
        )
    else:
        print_summary(data, out, CALIBRATION_PATH if args.install else None)
    return 0


def provenance(args, conf: dict, seconds: float) -> dict:
    import scipy

    command = (
        f"slt calibrate --eps-grid {' '.join(f'{g:g}' for g in conf['eps_grid'])} --delta {conf['delta']:g} "
        f"--precision-trials {conf['precision_trials']} --delta-grid "
        f"{' '.join(f'{g:g}' for g in conf['delta_grid'])} --eps {conf['eps']:g} "
        f"--confidence-trials {conf['confidence_trials']} --chunk {conf['chunk']} --level {args.level:g} "
        f"--seed {args.seed}"
    )
    return {
        "command": command,
        "seed": args.seed,
        "quick": bool(args.quick),
        "jobs": args.jobs,
        "samples_per_trial": {"precision": M_PRECISION, "confidence": M_CONFIDENCE},
        "walks": {
            "precision": f"subsetsum.layered_prefixes(exact_max={EXACT_MAX}, budget={BUDGET}, step={STEP})",
            "confidence": f"subsetsum.certified_prefixes(core={CORE}, recheck_above={RECHECK_ABOVE}, "
            f"full_core={FULL_CORE}, layered_above={LAYERED_ABOVE})",
        },
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runtime_seconds": round(seconds, 1),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
    }


def write_json(path, data: dict) -> None:
    from constructions import atomic_write

    atomic_write(path, lambda fh: fh.write((json.dumps(data, indent=2) + "\n").encode()))


def print_summary(data: dict, out: Path, installed) -> None:
    print(f"{'axis':<11} {'eps':>8} {'delta':>8} {'m':>5} {'failures':>9} {'CP upper':>9} {'trials':>8}")
    for q in data["points"]:
        m = "-" if q["m"] is None else q["m"]
        upper = "-" if q["upper_bound_at_m"] is None else f"{q['upper_bound_at_m']:.3g}"
        print(
            f"{q['axis']:<11} {q['eps']:>8g} {q['delta']:>8g} {m:>5} {q['failures_at_m'] or 0:>9} {upper:>9} "
            f"{q['trials']:>8}"
        )
    sep, one = data["separable"], data["one_constant"]
    print(
        f"separable: m = {sep['a']:.4f} log2(1/eps) + {sep['b']:.4f} ln(1/delta) + {sep['c']:.4f}  "
        f"(covers every point; eps in [{sep['eps_range'][0]:g}, {sep['eps_range'][1]:g}], delta in "
        f"[{sep['delta_range'][0]:g}, {sep['delta_range'][1]:g}])  [calibrated]"
    )
    print(f"one constant (the paper's form): m = {one['C']:.4f} ln(2/min(eps, delta)) + {one['c0']:.4f}  [calibrated]")
    print(data["confidence"])
    print(f"wrote {out}" + (f" and installed {installed}" if installed else "") + f"  ({data['runtime_seconds']} s)")
