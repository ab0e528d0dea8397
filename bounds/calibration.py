"""The constant C: the calibrated value shipped with the package, and its statistics.

The literature proves m >= C ln(2/eps'') for a universal but unknown C (THEORY §3). The
package ships an EMPIRICAL value in ``bounds/data/calibrated_C.json``, produced by
``slt calibrate`` (Monte-Carlo with `subsetsum.sup_error` on Pensia's distribution D):
for each eps'' of a grid, the smallest m whose one-sided Clopper-Pearson upper confidence
bound on P(sup-error > eps'') is <= eps'', then a fit m = C ln(2/eps'') + c0. Numbers
computed with it are labelled "calibrated", never "proven".

This module only reads the file and holds the statistics (no dependency on `subsetsum`;
the Monte-Carlo loop lives in ``slt/cmd_calibrate.py``).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .validate import check_constant, check_offset

DATA_PATH = Path(__file__).resolve().parent / "data" / "calibrated_C.json"
REQUIRED_KEYS = ("C", "c0", "trials", "method", "confidence", "command")


def calibrated_constant(path: str | Path | None = None) -> dict:
    """The calibrated constants: dict with C, c0 (m = C ln(2/eps'') + c0), C_pure, trials,
    method, confidence, command, points, eps_pp_range, seed, date (see ``slt calibrate``)."""
    path = Path(path) if path is not None else DATA_PATH
    if not path.exists():
        raise ValueError(f"no calibrated constant: {path} is missing; run `slt calibrate` to produce it "
                         f"(or pass C explicitly, e.g. --C 3)")
    with open(path) as fh:
        data = json.load(fh)
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise ValueError(f"{path} lacks the keys {missing}; rerun `slt calibrate`")
    return data


def resolve_constants(C=None, c0=None) -> dict:
    """{C, c0, C_source, label, eps_pp_range}: the user's C (label 'proven given C') or the
    calibrated fit (label 'calibrated')."""
    if C is None:
        if c0 is not None:
            raise ValueError(f"c0 = {c0} given without C: pass both, or neither to use the calibrated fit")
        cal = calibrated_constant()
        return {"C": float(cal["C"]), "c0": float(cal["c0"]), "C_source": "calibrated",
                "label": "calibrated", "eps_pp_range": cal.get("eps_pp_range")}
    return {"C": check_constant(C), "c0": 0.0 if c0 is None else check_offset(c0), "C_source": "user",
            "label": "proven given C", "eps_pp_range": None}


# ---------------------------------------------------------------- statistics
def clopper_pearson_upper(failures: int, trials: int, alpha: float) -> float:
    """One-sided (1 - alpha) Clopper-Pearson upper bound on a binomial probability:
    the p with P(Bin(trials, p) <= failures) = alpha; 1 if failures == trials."""
    from scipy.stats import beta
    if trials < 1 or not 0 <= failures <= trials:
        raise ValueError(f"need 0 <= failures <= trials and trials >= 1, got {failures}/{trials}")
    if failures == trials:
        return 1.0
    return float(beta.ppf(1.0 - alpha, failures + 1, trials - failures))


def smallest_m(m_star: np.ndarray, eps_pp: float, alpha: float) -> dict:
    """Smallest m whose Clopper-Pearson upper bound on P(sup-error(m samples) > eps'') is <= eps''.

    ``m_star[t]`` is, for trial t, the smallest prefix length with sup-error <= eps''
    (np.inf if never reached). Failures at m: #{t : m_star[t] > m}, monotone in m thanks to
    the coupling (one draw per trial, prefixes). Returns {m, failures, upper} or m = None.
    """
    m_star = np.asarray(m_star, dtype=float)
    trials = len(m_star)
    finite = np.sort(m_star[np.isfinite(m_star)])
    for m in np.unique(finite).astype(int):
        failures = int(trials - np.searchsorted(finite, m, side="right"))
        upper = clopper_pearson_upper(failures, trials, alpha)
        if upper <= eps_pp:
            return {"m": int(m), "failures": failures, "upper": upper}
    return {"m": None, "failures": None, "upper": None}


def fit_constants(eps_pp, m) -> dict:
    """Least squares m = C ln(2/eps'') + c0; the cover shift making the line >= every point;
    and the smallest pure-form C with C ln(2/eps'') >= m at every point."""
    x = np.log(2.0 / np.asarray(eps_pp, dtype=float))
    y = np.asarray(m, dtype=float)
    if len(x) < 2:
        raise ValueError(f"need at least 2 calibration points to fit, got {len(x)}")
    A = np.stack([x, np.ones_like(x)], axis=1)
    (C, c0), *_ = np.linalg.lstsq(A, y, rcond=None)
    residuals = y - (C * x + c0)
    shift = max(0.0, float(residuals.max()))
    return {"C": float(C), "c0": float(c0), "residuals": [float(r) for r in residuals],
            "c0_cover": float(c0) + shift, "C_pure": float(np.max(y / x))}


def bonferroni_alpha(confidence: float, points: int) -> float:
    """Per-point alpha so that all ``points`` statements hold simultaneously at ``confidence``."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return (1.0 - confidence) / points


def check_sorted_grid(grid) -> list[float]:
    grid = sorted((float(g) for g in grid), reverse=True)
    for g in grid:
        if not 0 < g < 1 or math.isnan(g):
            raise ValueError(f"eps'' grid values must be in (0, 1), got {g}")
    return grid
