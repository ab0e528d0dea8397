"""``slt calibrate``: measure the random Subset-Sum constant C (THEORY §3, §5 level 3).

The requirement m >= C ln(2/eps'') has a universal but unknown C. This command measures,
for a grid of eps'', the smallest m with P(sup-error > eps'') <= eps'' on Pensia's
distribution D = ½δ0 + ½Law(UV), where sup-error is the exact sup over z in [-1, 1] of
the best subset-sum error (`subsetsum.sup_error`; `subsetsum.sup_error_bound`, a rigorous
upper bound, when a prefix has more nonzero samples than the exact routine accepts).

Design. Trial t draws one sequence of M_MAX samples; sup-error is nonincreasing when
samples are appended, so m*_t(eps'') = the shortest prefix with sup-error <= eps'' gives
coupled, monotone failure counts F(m) = #{t : m*_t > m}. For each eps'' the reported m is
the smallest with a one-sided Clopper-Pearson upper bound on P(fail) <= eps'', at level
1 - alpha/K for K grid points (Bonferroni: all points hold simultaneously with confidence
1 - alpha; choosing the smallest passing m keeps the guarantee because F is monotone).
Then m = C ln(2/eps'') + c0 is fitted (least squares), c0 is raised so that the line
covers every measured point, and the smallest pure-form C (C ln(2/eps'') >= m) is kept.
Trials are split in fixed chunks seeded by (seed, chunk index): results do not depend on
the number of processes. Progress goes to stderr.
"""
from __future__ import annotations

import datetime
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from bounds import DATA_PATH, bonferroni_alpha, check_sorted_grid, fit_constants, smallest_m

from .progress import progress_bar

FULL_GRID = [0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]
QUICK_GRID = [0.2, 0.1, 0.05, 0.02]
MAX_NONZERO = 64             # a trial still above eps'' with this many nonzero samples counts as a failure


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("calibrate", help="measure the Subset-Sum constant C (Monte-Carlo on Pensia's D); "
                                                "writes bounds/data/calibrated_C.json",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"small run for tests (grid {QUICK_GRID}, 1000 trials; seconds)")
    p.add_argument("--grid", type=float, nargs="+", metavar="EPS",
                   help=f"eps'' values (default {FULL_GRID})")
    p.add_argument("--trials", type=int, metavar="T",
                   help="trials (one draw of M_MAX samples each, shared by all eps''; "
                        "default 30 / min(grid), 1000 with --quick)")
    p.add_argument("--m-max", type=int, default=200, metavar="M", help="samples drawn per trial (default 200)")
    p.add_argument("--confidence", type=float, default=0.95,
                   help="simultaneous confidence over the grid (default 0.95)")
    p.add_argument("--seed", type=int, default=20240607, help="random seed (default 20240607)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2; results do not depend on it)")
    p.add_argument("--chunk", type=int, default=500, help="trials per seeded chunk (default 500)")
    p.add_argument("--exact-max", type=int, metavar="J",
                   help="exact sup-error up to J nonzero samples (default 20; 16 with --quick)")
    p.add_argument("--bound-nonzero", type=int, metavar="J",
                   help="above --exact-max: rigorous bound from the J largest samples (default 20; 16 with --quick)")
    p.add_argument("--out", metavar="PATH", help=f"output JSON (default {DATA_PATH})")
    p.add_argument("--raw", metavar="PATH", help="also save the per-trial m* array (.npz) to recompute statistics")
    p.set_defaults(func=run)


def _chunk(task):
    """m* of one seeded chunk of trials (``subsetsum.first_prefixes``)."""
    seed, index, size, m_max, grid, exact_max, bound_nonzero = task
    from subsetsum import SAMPLERS, first_prefixes
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    samples = np.asarray(SAMPLERS["pensia"](rng, (size, m_max)), dtype=np.float64)
    return index, first_prefixes(samples, grid, exact_max=exact_max, bound_nonzero=bound_nonzero,
                                 max_nonzero=MAX_NONZERO)


def _run_chunks(tasks, jobs: int, bar) -> dict:
    """{chunk index: m*} of every task, in ``jobs`` processes; the bar counts trials."""
    results = {}
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        for index, m_star in (pool.map(_chunk, tasks) if pool else map(_chunk, tasks)):
            results[index] = m_star
            bar.update(len(m_star))
    finally:
        if pool is not None:
            pool.shutdown()
    return results


def _quantile(column: np.ndarray, q: float):
    """Empirical quantile of m* (an observed value, no interpolation); None if it is 'never reached'."""
    value = float(np.quantile(column, q, method="higher"))
    return value if math.isfinite(value) else None


def calibrate(grid, trials: int, m_max: int, confidence: float, seed: int, jobs: int, chunk: int,
              exact_max: int = 20, bound_nonzero: int = 20, progress: bool = False, raw: str | None = None) -> dict:
    """Run the Monte-Carlo and return the calibration record (see module docstring)."""
    grid = check_sorted_grid(grid)
    if len(grid) < 2:
        raise ValueError(f"--grid needs at least 2 eps'' values to fit C and c0, got {grid}")
    for name, v, lo in (("--trials", trials, 1), ("--m-max", m_max, 2), ("--jobs", jobs, 1), ("--chunk", chunk, 1),
                        ("--exact-max", exact_max, 1), ("--bound-nonzero", bound_nonzero, 1)):
        if v < lo:
            raise ValueError(f"{name} must be >= {lo}, got {v}")
    alpha = bonferroni_alpha(confidence, len(grid))
    needed = math.ceil(math.log(1 / alpha) / min(grid))
    if trials < needed:
        raise ValueError(f"--trials {trials} is too few: even with no failure the Clopper-Pearson bound "
                         f"reaches eps'' = {min(grid)} only from {needed} trials")
    if exact_max > 24 or bound_nonzero > 24:
        raise ValueError(f"--exact-max {exact_max} / --bound-nonzero {bound_nonzero}: at most 24 "
                         f"(2^24 subset sums per row already take seconds)")
    tasks = [(seed, i, min(chunk, trials - i * chunk), m_max, grid, exact_max, bound_nonzero)
             for i in range(math.ceil(trials / chunk))]
    start = time.time()
    with progress_bar(trials, "calibrate", unit="trial", enabled=progress) as bar:
        results = _run_chunks(tasks, jobs, bar)
    m_star = np.concatenate([results[i] for i in range(len(tasks))])
    if raw:
        np.savez_compressed(raw, m_star=m_star, grid=np.asarray(grid), seed=seed, m_max=m_max)
    points, unreached = [], []
    for g, p in enumerate(grid):
        best = smallest_m(m_star[:, g], p, alpha)
        column = m_star[:, g]
        if best["m"] is None:
            unreached.append({"eps_pp": p, "never_reached": int(np.sum(np.isinf(column))),
                              "note": f"no m <= {m_max} passes: too many trials never reach eps'' "
                                      f"(increase --m-max or --trials)"})
            continue
        points.append({"eps_pp": p, "ln_2_over_eps_pp": math.log(2 / p), "m": best["m"],
                       "failures_at_m": best["failures"], "upper_bound_at_m": best["upper"],
                       "failures_at_m_minus_1": int(np.sum(column > best["m"] - 1)),
                       "median_m_star": _quantile(column, 0.5),
                       "quantile_99_m_star": _quantile(column, 0.99),
                       "never_reached": int(np.sum(np.isinf(column)))})
    if len(points) < 2:
        raise ValueError(f"only {len(points)} eps'' value(s) reached with {trials} trials and m_max {m_max}: "
                         f"cannot fit C and c0 (increase --m-max or --trials)")
    fit = fit_constants([q["eps_pp"] for q in points], [q["m"] for q in points])
    return {"grid": grid, "alpha": alpha, "points": points, "unreached": unreached, "fit": fit,
            "runtime_seconds": round(time.time() - start, 1)}


def record(args, grid, trials, exact_max, bound_nonzero, result) -> dict:
    import numpy
    import scipy
    fit, points = result["fit"], result["points"]
    K = len(grid)
    command = (f"slt calibrate --grid {' '.join(f'{g:g}' for g in grid)} --trials {trials} "
               f"--m-max {args.m_max} --confidence {args.confidence:g} --seed {args.seed} --chunk {args.chunk} "
               f"--exact-max {exact_max} --bound-nonzero {bound_nonzero}")
    return {
        "C": fit["C"], "c0": fit["c0_cover"],
        "model": "m = ceil(C ln(2/eps'') + c0)",
        "label": "calibrated (empirical, not proven)",
        "used_by_default": "C = least-squares slope; c0 = least-squares intercept raised by the largest "
                           "positive residual, so that C ln(2/eps'') + c0 >= the measured m at every point",
        "fit_least_squares": {"C": fit["C"], "c0": fit["c0"], "residuals": fit["residuals"]},
        "C_pure": fit["C_pure"],
        "C_pure_note": "smallest C with C ln(2/eps'') >= measured m at every point (pure form, c0 = 0)",
        "points": points,
        "eps_pp_range": [min(q["eps_pp"] for q in points), max(q["eps_pp"] for q in points)],
        "unreached": result["unreached"],
        "trials": trials, "seed": args.seed, "chunk": args.chunk, "m_max": args.m_max,
        "exact_max_nonzero": exact_max, "bound_max_nonzero": bound_nonzero, "max_nonzero": MAX_NONZERO,
        "confidence_level": args.confidence, "alpha_per_point": result["alpha"],
        "confidence": (f"Simultaneously for the {K} values of eps'' (Bonferroni), with confidence >= "
                       f"{args.confidence:g}: at the listed m, P(sup-error of m samples from D > eps'') <= eps'' "
                       f"(one-sided Clopper-Pearson upper bound at level 1 - {result['alpha']:.3g} per point, "
                       f"from {trials} seeded trials). Choosing the smallest passing m keeps this guarantee "
                       f"because the failure counts are coupled (prefixes of one draw) and monotone in m. The fit "
                       f"(C, c0) summarises these points; outside eps'' in [{points[-1]['eps_pp']:g}, {points[0]['eps_pp']:g}] it is an "
                       f"extrapolation of the theorem's form m = C ln(2/eps''), not a measurement."),
        "method": ("Monte-Carlo on Pensia's D = 1/2 delta_0 + 1/2 Law(UV) (subsetsum.SAMPLERS['pensia']); per "
                   "trial, one draw of m_max samples evaluated at increasing prefixes; sup-error = exact sup over "
                   f"z in [-1, 1] of the best subset-sum error (subsetsum.sup_error) up to {exact_max} "
                   f"nonzero samples; above it, every 2nd nonzero sample, the smaller of the exact sup-errors of two "
                   f"subsets of {bound_nonzero} samples (subsetsum.sup_error_bound: the largest magnitudes; and a "
                   "sign-balanced subset) -- a rigorous upper bound, so m* can only be overestimated (conservative); "
                   f"a trial not reaching eps'' within {MAX_NONZERO} nonzero samples or m_max samples counts as a "
                   "failure; least-squares fit of m against ln(2/eps'')"),
        "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runtime_seconds": result["runtime_seconds"],
        "jobs": args.jobs,
        "versions": {"python": sys.version.split()[0], "numpy": numpy.__version__, "scipy": scipy.__version__},
        "quick": bool(args.quick),
    }


def run(args) -> int:
    grid = args.grid or (QUICK_GRID if args.quick else FULL_GRID)
    grid = check_sorted_grid(grid)
    trials = args.trials or (1000 if args.quick else math.ceil(30 / min(grid)))
    exact_max = args.exact_max or (16 if args.quick else 20)
    bound_nonzero = args.bound_nonzero or (16 if args.quick else 20)
    out = Path(args.out) if args.out else DATA_PATH
    print(f"calibrate: eps'' grid {grid}, {trials} trials, m_max {args.m_max}, "
          f"{args.jobs} process(es), seed {args.seed}", file=sys.stderr)
    result = calibrate(grid, trials, args.m_max, args.confidence, args.seed, args.jobs, args.chunk,
                       exact_max, bound_nonzero, progress=True, raw=args.raw)
    data = record(args, grid, trials, exact_max, bound_nonzero, result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"{'eps_pp':>8}  {'m':>4}  {'failures':>8}  {'CP upper':>9}  {'median m*':>9}")
    for q in data["points"]:
        print(f"{q['eps_pp']:>8g}  {q['m']:>4}  {q['failures_at_m']:>8}  {q['upper_bound_at_m']:>9.3g}  "
              f"{q['median_m_star']!s:>9}")
    for u in data["unreached"]:
        print(f"{u['eps_pp']:>8g}  not reached ({u['never_reached']} trials never reach it): {u['note']}")
    ls = data["fit_least_squares"]
    print(f"fit (least squares): m = {ls['C']:.4f} ln(2/eps'') + {ls['c0']:.4f}; used: C = {data['C']:.4f}, "
          f"c0 = {data['c0']:.4f} (covers every point); pure form C = {data['C_pure']:.4f}  [calibrated]")
    print(data["confidence"])
    print(f"wrote {out}  ({data['runtime_seconds']} s)")
    return 0
