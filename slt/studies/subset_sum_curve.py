"""Study 1: the random Subset-Sum curve (THEORY §3).

For samples from Uniform[-1, 1] (``uniform``), products U V (``product``) and Pensia's D
= ½ δ0 + ½ Law(UV) (``pensia``, the law of the construction's samples), with n the
number of samples drawn (zeros included), two quantities are measured on seeded draws:

* per target: a target z ~ U[-1, 1] and n_max samples per trial; for each prefix n the
  exact optimum e(n) = min_S |z - sum_S a_i| (``subsetsum.solve``, meet-in-the-middle).
  e(n) is nonincreasing in n (prefixes of one draw), so n*(eps) = min{n : e(n) <= eps}
  and P(e(n) <= eps) = P(n* <= n) come from one walk per trial, stopped once e <= the
  smallest eps (1e-8);
* for all targets at once (the certificate of level 2): the exact sup-error
  sup_{z in [-1, 1]} min_S |z - sum_S a_i| (``subsetsum.sup_error``) of each prefix,
  walked over the nonzero samples up to ``sup_max_nonzero`` of them (2^k sums each: the
  measurable range is eps >= ~1e-4 within the time budget; cells beyond it are left empty,
  never extrapolated).

From these: P(error <= eps) versus n; quantiles of the best error versus n (reported only
where they are determined despite the early stop); the smallest n reaching eps in 50 % and
99 % of the trials, and the least-squares slope of n against log2(1/eps) (the physical
limit is about one nonzero sample per bit: 2^n subset sums cannot resolve more than n
bits); the published reference points (n = 15, eps = 0.01: 0.4 % failures for Uniform,
3.6 % for products; Burkholz et al.) beside our measured rates with Clopper-Pearson 95 %
intervals; and the calibrated one-constant form C, c0 of ``slt calibrate`` converted to the same units
(m = C ln(2/eps) + c0 samples of D, i.e. C ln 2 samples per bit).
"""

from __future__ import annotations

import math

import numpy as np

from .subset_sum_figure import figure as draw_figure
from .tables import Column, Table

NAME = "subset_sum_curve"
TITLE = "Random Subset-Sum: P(error <= eps) and the best error versus the number of samples n"
#: the figure is drawn there (part of the figure's code version)
FIGURE_MODULES = ("slt.studies.subset_sum_figure",)
DISTRIBUTIONS = ("uniform", "product", "pensia")
DIST_LABEL = {"uniform": "U[-1,1]", "product": "U V", "pensia": "Pensia's D"}
EPS_GRID = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]
#: published per-target failure rates at n = 15, eps = 0.01 (Burkholz et al.)
REFERENCE = {"uniform": 0.004, "product": 0.036}
REFERENCE_N, REFERENCE_EPS = 15, 0.01
EXACT_CAP = 44  # subsetsum exact solver: nonzero samples per problem
QUANTILES = (0.5, 0.9, 0.99)

PRESETS = {
    "tiny": {
        "target_trials": 60,
        "sup_trials": 20,
        "sup_max_nonzero": 10,
        "reference_trials": 500,
        "eps": [1e-1, 1e-2, 1e-3, 1e-4],
        "distributions": ["uniform", "pensia"],
    },
    "quick": {
        "target_trials": 400,
        "sup_trials": 100,
        "sup_max_nonzero": 15,
        "reference_trials": 5000,
        "eps": EPS_GRID,
        "distributions": list(DISTRIBUTIONS),
    },
    "full": {
        "target_trials": 5000,
        "sup_trials": 1000,
        "sup_max_nonzero": 20,
        "reference_trials": 100000,
        "eps": EPS_GRID,
        "distributions": list(DISTRIBUTIONS),
    },
}


def parameters(preset: str, seed: int) -> dict:
    from . import check_preset

    return {**PRESETS[check_preset(preset)], "seed": int(seed)}


def n_max(distribution: str) -> int:
    """Samples drawn per trial: enough for 1e-8 in > 99 % of trials (pensia: half are zero)."""
    return 88 if distribution == "pensia" else EXACT_CAP


def cells(params: dict) -> list[dict]:
    out = []
    for d in params["distributions"]:
        out.append(
            {
                "part": "target",
                "distribution": d,
                "trials": params["target_trials"],
                "n_max": n_max(d),
                "eps": params["eps"],
                "seed": params["seed"],
                "cost": 3.0 * params["target_trials"] / 400,
            }
        )
        out.append(
            {
                "part": "sup",
                "distribution": d,
                "trials": params["sup_trials"],
                "n_max": n_max(d),
                "max_nonzero": params["sup_max_nonzero"],
                "eps": params["eps"],
                "seed": params["seed"],
                "cost": 2.0 ** (params["sup_max_nonzero"] - 14) * params["sup_trials"] / 100,
            }
        )
    for d in REFERENCE:
        if d in params["distributions"]:
            out.append(
                {
                    "part": "reference",
                    "distribution": d,
                    "trials": params["reference_trials"],
                    "n": REFERENCE_N,
                    "eps": REFERENCE_EPS,
                    "seed": params["seed"],
                    "cost": 0.1,
                }
            )
    return out


def _rng(cell):
    from .runner import rng_for

    return rng_for(cell["seed"], NAME, {k: v for k, v in cell.items() if k != "cost"})


def compute_cell(cell: dict) -> dict:
    part = cell["part"]
    if part == "target":
        return _target_walk(cell)
    if part == "sup":
        return _sup_walk(cell)
    if part == "reference":
        return _reference(cell)
    raise ValueError(f"unknown part {part!r}")


# ---------------------------------------------------------------- measurements
def _determined_quantiles(values: np.ndarray, unknown: np.ndarray) -> dict:
    """Quantiles over trials (axis 0) of values known exactly except where ``unknown``,
    where ``values`` holds an upper bound (the last value computed before the walk stopped;
    the truth lies in [0, that]). A quantile is reported only when it is the same at both
    ends of these intervals, i.e. when it does not depend on what was not computed."""
    out = {}
    lower = np.where(unknown, 0.0, values)
    for q in QUANTILES:
        hi = np.quantile(values, q, axis=0, method="inverted_cdf")
        lo = np.quantile(lower, q, axis=0, method="inverted_cdf")
        out[f"q{int(round(q * 100))}"] = [float(h) if h == l else None for h, l in zip(hi, lo)]
    return out


def _summaries(first: np.ndarray, known_until: np.ndarray, eps: list[float], N: int) -> dict:
    """P(n* <= n) per eps and n (None where a censored trial makes it unknown), and the
    smallest n reaching eps in 50 % / 99 % of the trials (None if not determined)."""
    T = first.shape[0]
    p, nq = {}, {}
    for g, e in enumerate(eps):
        f = first[:, g]
        censored = ~np.isfinite(f)
        limit = int(known_until[censored].min()) if censored.any() else N
        probs = []
        for n in range(N + 1):
            probs.append(float(np.mean(f <= n)) if n <= limit else None)
        p[repr(e)] = probs
        nq[repr(e)] = {}
        for q in (0.5, 0.99):
            k = math.ceil(q * T)  # need k trials with n* <= n
            fs = np.sort(f)
            n_needed = fs[k - 1]
            nq[repr(e)][f"n{int(q * 100)}"] = int(n_needed) if np.isfinite(n_needed) and n_needed <= limit else None
    return {"p": p, "n_quantiles": nq}


def _target_walk(cell: dict) -> dict:
    from subsetsum import SAMPLERS, first_hits, solve

    rng = _rng(cell)
    T, N, eps = cell["trials"], cell["n_max"], cell["eps"]
    a = SAMPLERS[cell["distribution"]](rng, (T, N))
    z = rng.uniform(-1.0, 1.0, T)
    err = np.full((T, N + 1), np.nan)
    err[:, 0] = np.abs(z)
    floor = min(eps)
    active = np.ones(T, dtype=bool)
    stopped_at = np.full(T, N + 1)  # first n at which the walk no longer ran
    nnz = np.zeros(T, dtype=int)
    for n in range(1, N + 1):
        err[:, n] = err[:, n - 1]
        new = a[:, n - 1] != 0
        nnz += new
        run = active & new
        over = run & (nnz > EXACT_CAP)
        active &= ~over
        stopped_at[over] = n
        run &= ~over
        rows = np.flatnonzero(run)
        if rows.size:
            res = solve(a[rows, :n], z[rows])
            err[rows, n] = np.minimum(err[rows, n], res.errors)
        done = active & (err[:, n] <= floor)
        stopped_at[done] = n + 1
        active &= ~done
        if not active.any():
            stopped_at[stopped_at > N + 1] = N + 1
            err = err[:, : n + 1]
            break
    Ncols = err.shape[1] - 1
    stopped = np.arange(Ncols + 1)[None, :] >= stopped_at[:, None]
    # a trial stopped because it reached the floor has err <= floor afterwards (known)
    reached = np.nanmin(err, axis=1) <= floor
    first = first_hits(np.where(np.isnan(err), np.inf, err), eps)
    known_until = np.where(reached, N, np.minimum(stopped_at - 1, N))  # censored trials: known up to here
    known_until[~reached & (stopped_at > N)] = N
    out = _summaries(first, known_until, eps, Ncols)
    out.update(_determined_quantiles(err, stopped))
    out.update({"trials": T, "n_max": N, "censored": int((~reached).sum()), "n_cols": Ncols})
    return out


def _sup_walk(cell: dict) -> dict:
    from subsetsum import SAMPLERS, first_hits, prefix_sup_errors

    rng = _rng(cell)
    T, N, eps, K = cell["trials"], cell["n_max"], cell["eps"], cell["max_nonzero"]
    a = SAMPLERS[cell["distribution"]](rng, (T, N))
    smallest = min(eps)
    sup, known, done = prefix_sup_errors(a, K, stop=smallest)
    # for P(sup <= eps): a finished row (sup <= smallest eps) is settled for every eps
    settled = known | done[:, None]
    known_until = np.where(done, N, settled.sum(axis=1) - 1)
    first = first_hits(np.where(settled, sup, np.inf), eps)
    out = _summaries(first, known_until, eps, N)
    out.update(_determined_quantiles(sup, ~known))
    out.update({"trials": T, "n_max": N, "censored": int((~done).sum()), "n_cols": N, "max_nonzero": K})
    return out


def _reference(cell: dict) -> dict:
    from bounds import clopper_pearson_upper
    from subsetsum import SAMPLERS, solve

    rng = _rng(cell)
    T, n, eps = cell["trials"], cell["n"], cell["eps"]
    a = SAMPLERS[cell["distribution"]](rng, (T, n))
    z = rng.uniform(-1.0, 1.0, T)
    res = solve(a, z)
    failures = int(np.count_nonzero(res.errors > eps))
    lower = 1.0 - clopper_pearson_upper(T - failures, T, 0.025) if failures else 0.0
    upper = clopper_pearson_upper(failures, T, 0.025)
    return {"failures": failures, "trials": T, "rate": failures / T, "ci_low": lower, "ci_high": upper}


# ---------------------------------------------------------------- tables
def _calibration():
    try:
        from bounds import calibrated_constant

        return calibrated_constant()
    except (ValueError, OSError):
        return None


def _fit(xs, ys):
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    if len(xs) < 2:
        return None, None
    A = np.stack([xs, np.ones_like(xs)], axis=1)
    (slope, icpt), *_ = np.linalg.lstsq(A, ys, rcond=None)
    return float(slope), float(icpt)


CURVE_COLUMNS = [
    Column("distribution", "input"),
    Column("n", "input", "samples", "samples drawn (zeros included)"),
    Column("eps", "input"),
    Column(
        "p_target_measured",
        "measured",
        "probability",
        "fraction of trials whose best error for one random target z ~ U[-1,1] is <= eps",
    ),
    Column(
        "p_sup_measured",
        "measured",
        "probability",
        "fraction of trials whose sup-error over all z in [-1,1] is <= eps (empty: beyond the enumeration cap)",
    ),
]
ERROR_COLUMNS = [
    Column("distribution", "input"),
    Column("n", "input", "samples"),
    Column("best_error_q50_measured", "measured", "", "median over trials of the exact best error (one target)"),
    Column("best_error_q90_measured", "measured"),
    Column("best_error_q99_measured", "measured"),
    Column("sup_error_q50_measured", "measured", "", "median over trials of the exact sup-error (all targets)"),
    Column("sup_error_q90_measured", "measured"),
]
FIT_COLUMNS = [
    Column("distribution", "input"),
    Column("quantity", "input", "", "n50/n99: smallest n with P(error <= eps) >= 0.5/0.99; target or sup"),
    Column("eps_min", "input"),
    Column("eps_max", "input"),
    Column("points", "input"),
    Column("slope_measured", "measured", "samples per bit", "least-squares slope of n against log2(1/eps)"),
    Column("intercept_measured", "measured", "samples"),
    Column(
        "slope_per_nonzero_measured",
        "measured",
        "nonzero samples per bit",
        "slope times the fraction of nonzero samples (1/2 for pensia)",
    ),
    Column(
        "slope_calibrated",
        "calibrated",
        "samples per bit",
        "a of the calibrated m = a log2(1/eps) + b ln(1/delta) + c (slt calibrate, on D; all-target criterion)",
    ),
]
REFERENCE_COLUMNS = [
    Column("distribution", "input"),
    Column("n", "input", "samples"),
    Column("eps", "input"),
    Column("trials", "input"),
    Column("failure_rate_measured", "measured", "probability", "fraction of targets z ~ U[-1,1] with best error > eps"),
    Column("ci95_low_measured", "measured", "probability", "Clopper-Pearson 95 % interval"),
    Column("ci95_high_measured", "measured", "probability"),
    Column("failure_rate_published", "reference", "probability", "Burkholz et al."),
]


def _curve_rows(d: str, tgt: dict, sup: dict, eps: list) -> tuple[list, list]:
    """Rows of the curve table (per n and eps) and of the errors table (per n) of one distribution."""
    curve, errors = [], []
    for n in range(1, max(tgt["n_cols"], sup["n_cols"]) + 1):
        for e in eps:
            pt = tgt["p"][repr(e)]
            ps = sup["p"][repr(e)]
            curve.append(
                {
                    "distribution": d,
                    "n": n,
                    "eps": e,
                    "p_target_measured": pt[n] if n < len(pt) else (pt[-1] if pt[-1] == 1.0 else None),
                    "p_sup_measured": ps[n] if n < len(ps) else None,
                }
            )
        row = {"distribution": d, "n": n}
        for q in (50, 90, 99):
            v = tgt[f"q{q}"]
            row[f"best_error_q{q}_measured"] = v[n] if n < len(v) else None
        for q in (50, 90):
            v = sup[f"q{q}"]
            row[f"sup_error_q{q}_measured"] = v[n] if n < len(v) else None
        errors.append(row)
    return curve, errors


def _fit_rows(d: str, tgt: dict, sup: dict, eps: list) -> list:
    """Least-squares slopes of n50 / n99 against log2(1/eps), for one target and for the sup-error."""
    nonzero_fraction = 0.5 if d == "pensia" else 1.0
    fits = []
    for part, res in (("target", tgt), ("sup", sup)):
        for qn in ("n50", "n99"):
            pts = [
                (math.log2(1 / e), res["n_quantiles"][repr(e)][qn])
                for e in eps
                if res["n_quantiles"][repr(e)][qn] is not None
            ]
            slope, icpt = _fit([p[0] for p in pts], [p[1] for p in pts])
            used = [e for e in eps if res["n_quantiles"][repr(e)][qn] is not None]
            fits.append(
                {
                    "distribution": d,
                    "quantity": f"{qn} {part}",
                    "eps_min": min(used) if used else None,
                    "eps_max": max(used) if used else None,
                    "points": len(pts),
                    "slope_measured": slope,
                    "intercept_measured": icpt,
                    "slope_per_nonzero_measured": slope * nonzero_fraction if slope is not None else None,
                }
            )
    return fits


def assemble(params: dict, results: list) -> list[Table]:
    cs = cells(params)
    by = {(c["part"], c["distribution"]): r for c, r in zip(cs, results)}
    eps = params["eps"]
    curve, errors, fits, refs = [], [], [], []
    for d in params["distributions"]:
        tgt, sup = by[("target", d)], by[("sup", d)]
        curve_d, errors_d = _curve_rows(d, tgt, sup, eps)
        curve += curve_d
        errors += errors_d
        fits += _fit_rows(d, tgt, sup, eps)
    cal = _calibration()
    if cal is not None:
        from bounds import calibrated_separable

        sep = calibrated_separable()
    if cal is not None and "pensia" in params["distributions"]:
        lo, hi = sep["eps_range"]
        fits.append(
            {
                "distribution": "pensia",
                "quantity": "calibrated a",
                "eps_min": lo,
                "eps_max": hi,
                "points": len(cal.get("points", [])) or None,
                "slope_calibrated": float(sep["a"]),
            }
        )
    for d in REFERENCE:
        r = by.get(("reference", d))
        if r is None:
            continue
        refs.append(
            {
                "distribution": d,
                "n": REFERENCE_N,
                "eps": REFERENCE_EPS,
                "trials": r["trials"],
                "failure_rate_measured": r["rate"],
                "ci95_low_measured": r["ci_low"],
                "ci95_high_measured": r["ci_high"],
                "failure_rate_published": REFERENCE[d],
            }
        )
    K = params["sup_max_nonzero"]
    notes_curve = [
        f"{params['target_trials']} trials per distribution for one target, {params['sup_trials']} for "
        f"the sup-error (exact enumeration up to {K} nonzero samples: 2^{K} sums); seed {params['seed']}.",
        "Empty cells are not determined by the measurement (beyond the enumeration cap, or after the "
        "walk stopped at eps = 1e-8); nothing is extrapolated.",
    ]
    cal_note = (
        f"Calibrated requirement (slt calibrate): separable a = {sep['a']:.4g} samples per bit, b = "
        f"{sep['b']:.4g} per nat of ln(1/delta), c = {sep['c']:.4g}; the paper's form C = {cal['C']:.4g}, "
        f"c0 = {cal['c0']:.4g} ({cal.get('method', '')})."
        if cal is not None
        else "No calibration found (bounds/data/calibration.json): run `slt calibrate --install`."
    )
    return [
        Table(NAME, TITLE, CURVE_COLUMNS, curve, notes_curve),
        Table(
            f"{NAME}_errors",
            "Best error (one target) and sup-error (all targets) versus n: quantiles over trials",
            ERROR_COLUMNS,
            errors,
            notes_curve[:1],
        ),
        Table(
            f"{NAME}_fits",
            "Samples needed versus bits of precision: least-squares slope of n against log2(1/eps)",
            FIT_COLUMNS,
            fits,
            ["Physical limit: about one nonzero sample per bit (2^n subset sums resolve at most n bits).", cal_note],
            latex_columns=[
                "distribution",
                "quantity",
                "eps_min",
                "slope_measured",
                "intercept_measured",
                "slope_calibrated",
            ],
        ),
        Table(
            f"{NAME}_reference",
            f"Per-target failure rate at n = {REFERENCE_N}, eps = {REFERENCE_EPS}: measured versus published",
            REFERENCE_COLUMNS,
            refs,
            ["Target z ~ U[-1,1], fresh samples per trial, exact optimum (meet-in-the-middle)."],
        ),
    ]


# ---------------------------------------------------------------- figure
def figure(tables: dict, width: float):
    """The four panels of :mod:`slt.studies.subset_sum_figure`."""
    return draw_figure(tables, width, NAME, DIST_LABEL, _calibration())


def decay_bits_per_sample(errs: Table, distribution: str, column: str = "best_error_q50_measured"):
    """Least-squares slope of -log2(error) against n over the determined points below 0.1."""
    pts = [
        (r["n"], r[column])
        for r in errs.where(distribution=distribution)
        if r[column] is not None and 0 < r[column] < 0.1
    ]
    if len(pts) < 3:
        return None
    return float(np.polyfit([p[0] for p in pts], [-math.log2(p[1]) for p in pts], 1)[0])


def summary(tables: dict) -> dict:
    out = {}
    refs = tables[f"{NAME}_reference"].rows
    ref_txt = "; ".join(
        f"{DIST_LABEL[r['distribution']]}: measured {100 * r['failure_rate_measured']:.2f} % "
        f"(95 % CI {100 * r['ci95_low_measured']:.2f}-{100 * r['ci95_high_measured']:.2f} %) vs "
        f"published {100 * r['failure_rate_published']:.1f} %"
        for r in refs
    )
    fits = tables[f"{NAME}_fits"]
    errs = tables[f"{NAME}_errors"]
    dists = list(dict.fromkeys(r["distribution"] for r in errs.rows))
    slopes = ", ".join(
        f"{DIST_LABEL[r['distribution']]} {r['slope_measured']:.2f}"
        for r in fits.rows
        if r["quantity"] == "n99 target" and r["slope_measured"] is not None
    )
    n50 = ", ".join(
        f"{DIST_LABEL[r['distribution']]} {r['slope_measured']:.2f}"
        for r in fits.rows
        if r["quantity"] == "n50 target" and r["slope_measured"] is not None
    )
    decay = ", ".join(f"{DIST_LABEL[d]} {b:.2f}" for d in dists if (b := decay_bits_per_sample(errs, d)) is not None)
    curve = tables[NAME]
    both = []
    for d in dists:
        rows = curve.where(distribution=d, eps=0.01)
        t50 = min((r["n"] for r in rows if (r["p_target_measured"] or 0) >= 0.5), default=None)
        s50 = min((r["n"] for r in rows if (r["p_sup_measured"] or 0) >= 0.5), default=None)
        if t50 is not None and s50 is not None:
            both.append(f"{DIST_LABEL[d]} {t50} vs {s50}")
    all_txt = f" Median n for eps = 0.01, one target vs all targets z in [-1, 1]: {'; '.join(both)}." if both else ""
    out[NAME] = (
        f"One target needs about one more sample per bit of precision (median n against log2(1/eps): "
        f"{n50} samples per bit).{all_txt} At n = 15, eps = 0.01: {ref_txt}."
    )
    out[f"{NAME}_errors"] = (
        f"The median best error decays exponentially in n: {decay} bits per sample drawn "
        f"(Pensia's D: half its samples are zero)."
    )
    cal = [r for r in fits.rows if r.get("slope_calibrated") is not None]
    cal_txt = (
        (
            f"; the calibrated requirement of `slt calibrate` (all targets, on D, rigorous certificates) has "
            f"a = {cal[0]['slope_calibrated']:.2f} samples per bit"
        )
        if cal
        else ""
    )
    out[f"{NAME}_fits"] = (
        f"Slope of n99 (one target) against log2(1/eps), in samples drawn per bit: {slopes} "
        f"(physical limit about 1 per nonzero sample){cal_txt}."
    )
    out[f"{NAME}_reference"] = f"Reference points: {ref_txt}."
    return out


def run(preset: str = "quick", seed: int = 0, out=None, **overrides):
    """Run the study in this process; returns ({table name: Table}, matplotlib Figure)."""
    import sys

    from .runner import study_run

    return study_run(sys.modules[__name__], preset, seed, out, **overrides)
