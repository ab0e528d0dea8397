"""Statistics of the Subset-Sum calibration (THEORY §3 "Separable requirement", ``slt calibrate``).

Per trial t, a rigorous upper bound m^_t(eps) of the shortest prefix of one draw from D
whose sup-error is <= eps (``subsetsum.certified_prefixes`` / ``layered_prefixes``). For a
point (eps, delta) the calibrated m is the smallest m whose one-sided Clopper-Pearson upper
bound on P(m^ > m) is <= delta, at level 1 - alpha/K for K points (Bonferroni: all K
statements hold simultaneously with confidence 1 - alpha). Choosing the smallest passing m
keeps the guarantee because the failure counts F(m) = #{t : m^_t > m} are monotone in m.

Two fits of the points, both raised to cover every point:

* separable (shipped): m = a log2(1/eps) + b ln(1/delta) + c;
* one constant (the paper's form, for comparison): m = C ln(2/min(eps, delta)) + c0, and
  the smallest pure-form C with C ln(2/min(eps, delta)) >= m.
"""

from __future__ import annotations

import math

import numpy as np

from groups import check_int, check_real_array

from .validate import check_open_unit


def clopper_pearson_upper(failures: int, trials: int, alpha: float) -> float:
    """One-sided (1 - alpha) Clopper-Pearson upper bound on a binomial probability:
    the p with P(Bin(trials, p) <= failures) = alpha; 1 if failures == trials."""
    from scipy.stats import beta

    trials = check_int("trials", trials, 1)
    failures = check_int("failures", failures, 0, trials)
    alpha = check_open_unit(alpha, "alpha")
    if failures == trials:
        return 1.0
    return float(beta.ppf(1.0 - alpha, failures + 1, trials - failures))


def smallest_m(m_star: np.ndarray, delta: float, alpha: float) -> dict:
    """Smallest m whose Clopper-Pearson upper bound on P(m^ > m) is <= delta.

    ``m_star[t]`` is trial t's (upper bound of the) shortest passing prefix (np.inf if none).
    Failures at m: #{t : m_star[t] > m}, monotone in m. Returns {m, failures, upper} or m = None.
    """
    m_star = check_real_array("m_star", m_star, ndim=1, finite=False)
    if np.isnan(m_star).any() or (m_star < 0).any():
        bad = m_star[np.isnan(m_star) | (m_star < 0)][0]
        raise ValueError(f"m_star must hold prefix lengths >= 0 (np.inf: never reached), got {bad}")
    delta, alpha = check_open_unit(delta, "delta"), check_open_unit(alpha, "alpha")
    trials = len(m_star)
    finite = np.sort(m_star[np.isfinite(m_star)])
    for m in np.unique(finite).astype(int):
        failures = int(trials - np.searchsorted(finite, m, side="right"))
        upper = clopper_pearson_upper(failures, trials, alpha)
        if upper <= delta:
            return {"m": int(m), "failures": failures, "upper": upper}
    return {"m": None, "failures": None, "upper": None}


def bonferroni_alpha(confidence: float, points: int) -> float:
    """Per-point alpha so that all ``points`` statements hold simultaneously at ``confidence``."""
    if isinstance(confidence, bool) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 1:
        raise ValueError(f"points must be an integer >= 1, got {points!r}")
    return (1.0 - confidence) / points


def check_grid(grid, name: str) -> list[float]:
    """A grid of values in (0, 1), distinct, sorted descending (ValueError naming ``name``)."""
    values = [check_open_unit(g, name) for g in grid]
    if not values:
        raise ValueError(f"{name} needs at least one value in (0, 1)")
    if len(set(values)) != len(values):
        dup = next(v for v in values if values.count(v) > 1)
        raise ValueError(f"{name} lists {dup:g} twice: each value is one calibration point")
    return sorted(values, reverse=True)


def trials_needed(delta: float, alpha: float) -> int:
    """Fewest trials for which zero failures give a Clopper-Pearson upper bound <= delta:
    (1 - delta)^T <= alpha."""
    delta, alpha = check_open_unit(delta, "delta"), check_open_unit(alpha, "alpha")
    return math.ceil(math.log(alpha) / math.log1p(-delta))


def point_record(m_star: np.ndarray, eps: float, delta: float, alpha: float, axis: str) -> dict:
    """One calibration point: the smallest m of :func:`smallest_m` and the numbers behind it."""
    column = np.asarray(m_star, dtype=float)
    best = smallest_m(column, delta, alpha)
    finite = column[np.isfinite(column)]
    rec = {
        "axis": axis,
        "eps": eps,
        "delta": delta,
        "trials": int(column.size),
        "m": best["m"],
        "failures_at_m": best["failures"],
        "upper_bound_at_m": best["upper"],
        "never_reached": int(np.sum(~np.isfinite(column))),
        "median_m_hat": float(np.median(finite)) if finite.size * 2 > column.size else None,
    }
    if best["m"] is not None:
        rec["failures_at_m_minus_1"] = int(np.sum(column > best["m"] - 1))
    return rec


def fit_points(eps, delta, m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of a fit as three float64 arrays of one length: finite, eps and delta in (0, 1)."""
    eps, delta = check_real_array("eps", eps, ndim=1), check_real_array("delta", delta, ndim=1)
    m = check_real_array("m", m, ndim=1)
    if not eps.shape == delta.shape == m.shape:
        raise ValueError(
            f"eps, delta and m must have one value per point (same length), "
            f"got lengths {eps.size}, {delta.size}, {m.size}"
        )
    for key, v in (("eps", eps), ("delta", delta)):
        if not ((v > 0) & (v < 1)).all():
            raise ValueError(f"{key} must be in (0, 1) at every point, got {v[~((v > 0) & (v < 1))][0]}")
    return eps, delta, m


def fit_separable(eps, delta, m) -> dict:
    """Least squares m = a log2(1/eps) + b ln(1/delta) + c, and c raised by the largest
    positive residual so that the plane covers every point (``c_cover``).

    >>> e, d = np.array([0.1, 0.01, 0.1, 0.1]), np.array([0.1, 0.1, 0.01, 0.001])
    >>> fit = fit_separable(e, d, 2 * np.log2(1 / e) + 3 * np.log(1 / d) + 5)
    >>> [round(fit[k], 9) for k in ("a", "b", "c", "c_cover")]
    [2.0, 3.0, 5.0, 5.0]
    """
    eps, delta, y = fit_points(eps, delta, m)
    x1 = np.log2(1.0 / eps)
    x2 = np.log(1.0 / delta)
    A = np.stack([x1, x2, np.ones_like(x1)], axis=1)
    if len(y) < 3 or np.linalg.matrix_rank(A) < 3:
        raise ValueError(f"the separable fit needs points that vary in both eps and delta (3 or more), got {len(y)}")
    (a, b, c), *_ = np.linalg.lstsq(A, y, rcond=None)
    residuals = y - A @ np.array([a, b, c])
    shift = max(0.0, float(residuals.max()))
    return {
        "a": float(a),
        "b": float(b),
        "c": float(c),
        "c_cover": float(c) + shift,
        "residuals": [float(r) for r in residuals],
    }


def fit_one_constant(eps, delta, m) -> dict:
    """The paper's form: least squares m = C ln(2/eps'') + c0 with eps'' = min(eps, delta),
    c0 raised to cover every point, and the smallest pure-form C (c0 = 0) covering them."""
    eps, delta, y = fit_points(eps, delta, m)
    x = np.log(2.0 / np.minimum(eps, delta))
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError(f"the one-constant fit needs at least 2 distinct min(eps, delta), got {len(x)} points")
    A = np.stack([x, np.ones_like(x)], axis=1)
    (C, c0), *_ = np.linalg.lstsq(A, y, rcond=None)
    residuals = y - (C * x + c0)
    shift = max(0.0, float(residuals.max()))
    return {
        "C": float(C),
        "c0": float(c0),
        "c0_cover": float(c0) + shift,
        "residuals": [float(r) for r in residuals],
        "C_pure": float(np.max(y / x)),
    }
