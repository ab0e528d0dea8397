"""The calibrated random Subset-Sum requirement shipped with the package (THEORY §3).

The literature proves m >= C ln(2/eps'') for a universal but unknown C. ``slt calibrate``
measures, on Pensia's D (the law of every sample of the construction), the smallest m with
P(sup-error of m samples > eps) <= delta at points (eps, delta) of two axes, and fits

* the separable form (used by default): m(eps, delta) = a log2(1/eps) + b ln(1/delta) + c;
* the paper's one-constant form (for comparison): m = C ln(2/min(eps, delta)) + c0;

both raised to cover every measured point. They are stored in ``bounds/data/calibration.json``;
numbers computed with them are labelled "calibrated" (inside the measured ranges) or
"extrapolated" (outside), never "proven". This module reads the file and builds its record
from the per-trial results (``bounds.statistics``); the Monte-Carlo lives in ``subsetsum``
and ``slt calibrate``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .statistics import bonferroni_alpha, fit_one_constant, fit_separable, point_record
from .validate import check_constant, check_offset

CALIBRATION_PATH = Path(__file__).resolve().parent / "data" / "calibration.json"
REQUIRED_KEYS = ("separable", "one_constant", "points", "method", "confidence", "command")


def calibration(path: str | Path | None = None) -> dict:
    """The whole calibration record (see ``slt calibrate``), checked for its keys."""
    path = Path(path) if path is not None else CALIBRATION_PATH
    if not path.exists():
        raise ValueError(
            f"no calibration: {path} is missing; run `slt calibrate --install` to produce it "
            f"(or pass the constants explicitly, e.g. --C 3)"
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc.msg}); rerun `slt calibrate --install`") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text (JSON) file; rerun `slt calibrate --install`") from None
    except OSError as exc:  # a directory, no permission
        raise ValueError(f"cannot read the calibration {path}: {exc.strerror or exc}") from None
    missing = [k for k in REQUIRED_KEYS if not isinstance(data, dict) or k not in data]
    if missing:
        raise ValueError(f"{path} lacks the keys {missing}; rerun `slt calibrate --install`")
    return data


def calibrated_constant(path: str | Path | None = None) -> dict:
    """The one-constant (paper's) form of the calibration: C, c0 (m = C ln(2/eps'') + c0),
    C_pure, eps_pp_range, and the record's points, method, confidence, command."""
    data = calibration(path)
    out = dict(data["one_constant"])
    out.update({k: data[k] for k in ("points", "method", "confidence", "command")})
    return out


def calibrated_separable(path: str | Path | None = None) -> dict:
    """The separable form: a, b, c (m = a log2(1/eps) + b ln(1/delta) + c), eps_range, delta_range."""
    return dict(calibration(path)["separable"])


def resolve_constants(C=None, c0=None) -> dict:
    """{C, c0, C_source, label, eps_pp_range} of the one-constant form: the user's C (label
    'proven given C') or the calibrated fit (label 'calibrated')."""
    if C is None:
        if c0 is not None:
            raise ValueError(f"c0 = {c0} given without C: pass both, or neither to use the calibrated fit")
        cal = calibrated_constant()
        return {
            "C": float(cal["C"]),
            "c0": float(cal["c0"]),
            "C_source": "calibrated",
            "label": "calibrated",
            "eps_pp_range": cal.get("eps_pp_range"),
        }
    return {
        "C": check_constant(C),
        "c0": 0.0 if c0 is None else check_offset(c0),
        "C_source": "user",
        "label": "proven given C",
        "eps_pp_range": None,
    }


def resolve_separable(abc=None) -> dict:
    """{a, b, c, source, label, eps_range, delta_range} of the separable form: the user's
    (a, b, c) (label 'proven given a, b, c') or the calibrated fit (label 'calibrated')."""
    if abc is None:
        sep = calibrated_separable()
        return {
            "a": float(sep["a"]),
            "b": float(sep["b"]),
            "c": float(sep["c"]),
            "source": "calibrated",
            "label": "calibrated",
            "eps_range": sep["eps_range"],
            "delta_range": sep["delta_range"],
        }
    if not isinstance(abc, (list, tuple, np.ndarray)) or len(abc) != 3:
        raise ValueError(f"abc must be the three separable constants (a, b, c), a, b > 0 and c finite, got {abc!r}")
    a, b = check_constant(abc[0], "a"), check_constant(abc[1], "b")
    return {
        "a": a,
        "b": b,
        "c": check_offset(abc[2], "c"),
        "source": "user",
        "label": "proven given a, b, c",
        "eps_range": None,
        "delta_range": None,
    }


def calibration_points(m_precision, eps_grid, delta, m_confidence, eps, delta_grid, level: float):
    """(points, alpha): one point per eps'' of the precision axis (at ``delta``) and per
    delta'' of the confidence axis (at ``eps``), all K simultaneously at ``level`` (Bonferroni)."""
    m_precision = np.asarray(m_precision, dtype=float)
    alpha = bonferroni_alpha(level, len(eps_grid) + len(delta_grid))
    points = [point_record(m_precision[:, g], e, delta, alpha, "precision") for g, e in enumerate(eps_grid)]
    points += [point_record(m_confidence, eps, d, alpha, "confidence") for d in delta_grid]
    return points, alpha


def calibration_record(m_precision, eps_grid, delta, m_confidence, eps, delta_grid, level: float) -> dict:
    """The calibration record (without provenance): points, both fits, ranges, statements."""
    points, alpha = calibration_points(m_precision, eps_grid, delta, m_confidence, eps, delta_grid, level)
    ok = [q for q in points if q["m"] is not None]
    if len(ok) < 3:
        raise ValueError(f"only {len(ok)} calibration point(s) reached: cannot fit (more trials or samples needed)")
    e, d, m = (np.array([q[k] for q in ok], dtype=float) for k in ("eps", "delta", "m"))
    sep, one = fit_separable(e, d, m), fit_one_constant(e, d, m)
    eps_pp = np.minimum(e, d)
    return {
        "model": "m(eps, delta) = ceil(a log2(1/eps) + b ln(1/delta) + c)",
        "label": "calibrated (empirical, not proven)",
        "distribution": "pensia: D = 1/2 delta_0 + 1/2 Law(UV), the law of every Subset-Sum sample of the "
        "construction (subsetsum.SAMPLERS['pensia']); no other distribution is used by it",
        "separable": {
            "a": sep["a"],
            "b": sep["b"],
            "c": sep["c_cover"],
            "eps_range": [float(e.min()), float(e.max())],
            "delta_range": [float(d.min()), float(d.max())],
            "fit_least_squares": {"a": sep["a"], "b": sep["b"], "c": sep["c"], "residuals": sep["residuals"]},
            "note": "c = least-squares intercept raised by the largest positive residual: the plane is "
            ">= the measured m at every point",
        },
        "one_constant": {
            "C": one["C"],
            "c0": one["c0_cover"],
            "C_pure": one["C_pure"],
            "eps_pp_range": [float(eps_pp.min()), float(eps_pp.max())],
            "fit_least_squares": {"C": one["C"], "c0": one["c0"], "residuals": one["residuals"]},
            "model": "m = ceil(C ln(2/eps'') + c0), eps'' = min(eps, delta) (the paper's form)",
        },
        "points": points,
        "unreached": [q for q in points if q["m"] is None],
        "confidence_level": level,
        "alpha_per_point": alpha,
        "trials": {"precision": int(np.asarray(m_precision).shape[0]), "confidence": int(np.size(m_confidence))},
        "confidence": (
            f"Simultaneously for the {len(points)} points (Bonferroni), with confidence >= {level:g}: at "
            f"each point's m, P(sup-error of m samples from D > eps) <= delta (one-sided Clopper-Pearson "
            f"upper bound at level 1 - {alpha:.3g} per point). m^ per trial is a rigorous upper bound "
            f"of the shortest passing prefix, so each m can only be overestimated; the fits summarise "
            f"the points and outside their eps and delta ranges are extrapolations, not measurements."
        ),
        "method": (
            "Monte-Carlo on D; per trial one draw evaluated at increasing prefixes. Precision axis: exact "
            "sup-error up to 20 nonzero samples, then the two-level covering certificate (Minkowski window "
            "+ extension, subsetsum.cover) every 2nd nonzero sample. Confidence axis: exact up to 14 nonzero "
            "samples, then the 14-sample core's covered interval extended by the later samples; trials "
            "left above m = 55 walked again with a 20-sample core, and above m = 85 also with the "
            "precision walk (the smallest m^ kept). A trial not reaching eps within its draw counts as a "
            "failure at every m."
        ),
    }
