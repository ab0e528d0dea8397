"""Per-trial cost of the calibration: the rigorous bounds of ``slt calibrate`` against sup_error_bound.

Baseline (issue 15): ``subsetsum.sup_error_bound`` on rows of 40 samples from Pensia's D, one
rigorous bound per row. Measured in the same run: the confidence-axis walk
(``certified_prefixes``: a whole trial of 160 samples, every prefix, exact core + extension,
tail trials walked again), one covering bound of a 40-sample row (exact core of its first 14
nonzero samples + extension), and one two-level bound (``cover.layered_bound``) per
evaluation of the precision walk. CPU times (``time.process_time``), one process.
"""

from __future__ import annotations

import os
import time

import numpy as np

#: most baseline rows (sup_error_bound: about 65 ms each) and confidence trials one run takes
MAX_ROWS, MAX_TRIALS = 10_000, 1_000_000
#: float64 arrays of the trials' shape the walk holds at once (as slt calibrate's estimate)
WORK_ARRAYS = 8


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=40, help="rows of 40 samples for the baseline (default 40)")
    parser.add_argument(
        "--trials", type=int, default=20000, help="confidence-axis trials of 160 samples (default 20000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def _cpu(fn):
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def run(args) -> dict:
    from groups import check_int, check_memory
    from subsetsum import SAMPLERS, certified_prefixes, layered_bound, sup_error_bound

    check_int("--rows", args.rows, 1, MAX_ROWS)
    check_int("--trials", args.trials, 1, MAX_TRIALS)
    check_int("--seed", args.seed, 0)
    check_memory(
        8 * (args.rows * 40 + WORK_ARRAYS * args.trials * 160),
        f"--trials {args.trials:,} trials of 160 samples ({WORK_ARRAYS} working arrays) and --rows {args.rows:,}",
        "use fewer --trials",
    )
    rng = np.random.default_rng(args.seed)
    rows = SAMPLERS["pensia"](rng, (args.rows, 40))
    base, _ = _cpu(lambda: sup_error_bound(rows))
    trials = SAMPLERS["pensia"](rng, (args.trials, 160))
    walk, m_hat = _cpu(
        lambda: certified_prefixes(trials, [0.01], core=14, recheck_above=55, full_core=20, layered_above=85)
    )
    one, _ = _cpu(lambda: certified_prefixes(rows, [0.01], core=14))
    deep = SAMPLERS["product"](rng, (10, 60))
    layered, _ = _cpu(lambda: [layered_bound(r, 16, 60, 1 << 21) for r in deep])
    per = {
        "sup_error_bound_row40_ms": 1e3 * base / args.rows,
        "confidence_trial_walk_ms": 1e3 * walk / args.trials,
        "covering_bound_row40_ms": 1e3 * one / args.rows,
        "layered_bound_row60_nonzero_ms": 1e3 * layered / len(deep),
    }
    base_ms = per["sup_error_bound_row40_ms"]
    return {
        **{k: round(v, 4) for k, v in per.items()},
        "ratio_baseline_over_trial_walk": round(base_ms / per["confidence_trial_walk_ms"], 1),
        "ratio_baseline_over_covering_bound": round(base_ms / per["covering_bound_row40_ms"], 1),
        "trials_reaching_0.01": int(np.isfinite(m_hat).sum()),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
