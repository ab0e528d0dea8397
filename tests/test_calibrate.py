"""``slt calibrate``: statistics helpers, the quick run, the shipped data file (the prefix walk it
runs, ``subsetsum.first_prefixes``, is tested in test_prefix.py)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import binomtest

from bounds.calibration import (DATA_PATH, calibrated_constant, clopper_pearson_upper, fit_constants,
                                smallest_m)
from slt.cli import main

LN_4_3 = math.log(4 / 3)


# ------------------------------------------------------------------ statistics
@pytest.mark.parametrize("failures, trials, alpha", [(0, 100, 0.05), (3, 100, 0.05), (17, 30000, 0.00625),
                                                     (50, 60, 0.01)])
def test_clopper_pearson_matches_exact_binomial_interval(failures, trials, alpha):
    upper = clopper_pearson_upper(failures, trials, alpha)
    # the one-sided 1 - alpha upper bound is the upper end of the two-sided 1 - 2 alpha interval
    ref = binomtest(failures, trials).proportion_ci(confidence_level=1 - 2 * alpha, method="exact").high
    assert upper == pytest.approx(ref, rel=1e-9)
    if failures == 0:
        assert upper == pytest.approx(1 - alpha ** (1 / trials), rel=1e-12)


def test_smallest_m_uses_monotone_failure_counts():
    m_star = np.array([5] * 990 + [9] * 9 + [np.inf])     # 1000 trials
    best = smallest_m(m_star, 0.05, 0.05)
    assert best["m"] == 5 and best["failures"] == 10       # 10/1000, upper bound < 0.05
    best = smallest_m(m_star, 0.005, 0.05)
    assert best["m"] == 9 and best["failures"] == 1            # 1/1000: upper bound 0.00474 <= 0.005
    best = smallest_m(m_star, 0.004, 0.05)
    assert best == {"m": None, "failures": None, "upper": None}   # the inf trial always fails: 0.00474 > 0.004
    best = smallest_m(np.array([5] * 2000 + [9] * 2), 0.002, 0.05)   # 2/2002: 0.00314 > 0.002; 0/2002: 0.0015
    assert best["m"] == 9 and best["failures"] == 0


def test_fit_constants_recovers_a_line_and_covers_points():
    eps = np.array([0.1, 0.01, 0.001])
    m = 3.0 * np.log(2 / eps) + 7.0
    fit = fit_constants(eps, m)
    assert fit["C"] == pytest.approx(3.0) and fit["c0"] == pytest.approx(7.0) and fit["c0_cover"] == pytest.approx(7.0)
    m2 = m + np.array([0.0, 2.0, 0.0])
    fit = fit_constants(eps, m2)
    assert np.all(fit["C"] * np.log(2 / eps) + fit["c0_cover"] >= m2 - 1e-9)
    assert np.all(fit["C_pure"] * np.log(2 / eps) >= m2 - 1e-9)
    assert np.isclose(fit["C_pure"] * np.log(2 / eps), m2).any()


# ------------------------------------------------------------------ the command
def check_record(data):
    for key in ("C", "c0", "C_pure", "trials", "method", "confidence", "command", "points", "seed", "date",
                "eps_pp_range", "fit_least_squares"):
        assert key in data, key
    assert "not proven" in data["label"]
    points = data["points"]
    assert [p["eps_pp"] for p in points] == sorted((p["eps_pp"] for p in points), reverse=True)
    ms = [p["m"] for p in points]
    assert ms == sorted(ms)                                   # smaller eps'' needs more samples
    for p in points:
        assert p["upper_bound_at_m"] <= p["eps_pp"]
        # provable: P(fail) >= P(no positive sample) = (3/4)^m, so m >= ln(1/eps'')/ln(4/3)
        assert p["m"] >= math.log(1 / p["eps_pp"]) / LN_4_3
        assert data["C"] * math.log(2 / p["eps_pp"]) + data["c0"] >= p["m"] - 1e-9
        assert data["C_pure"] * math.log(2 / p["eps_pp"]) >= p["m"] - 1e-9


def test_quick_run_writes_a_complete_record(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["calibrate", "--quick", "--out", str(out), "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "calibrate:" in captured.err and "1000 trials" in captured.err       # what runs, on stderr
    assert "wrote" in captured.out and "\r" not in captured.err                  # no bar outside a terminal
    data = json.loads(out.read_text())
    check_record(data)
    assert data["quick"] and data["trials"] == 1000
    assert calibrated_constant(out)["C"] == data["C"]
    # reproducible and independent of the number of processes
    out2 = tmp_path / "c2.json"
    assert main(["calibrate", "--quick", "--out", str(out2), "--jobs", "2"]) == 0
    assert json.loads(out2.read_text())["points"] == data["points"]


def test_bad_calibrate_arguments(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["calibrate", "--grid", "0.1", "0.001", "--trials", "100", "--out", str(tmp_path / "x.json")])
    assert info.value.code == 2 and "too few" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["calibrate", "--grid", "0.1", "1.5", "--out", str(tmp_path / "x.json")])
    assert "(0, 1), got 1.5" in capsys.readouterr().err


@pytest.mark.skipif(not DATA_PATH.exists(), reason="no calibrated constant shipped yet (run slt calibrate)")
def test_shipped_calibration_file():
    data = calibrated_constant()
    check_record(data)
    assert not data["quick"] and data["trials"] >= 10000
    assert data["eps_pp_range"][0] <= 1e-3


def test_unreachable_eps_is_reported_not_fitted():
    from slt.cmd_calibrate import calibrate
    result = calibrate([0.3, 0.2, 0.005], trials=1000, m_max=45, confidence=0.95, seed=1, jobs=1, chunk=500)
    assert [p["eps_pp"] for p in result["points"]] == [0.3, 0.2]
    assert [u["eps_pp"] for u in result["unreached"]] == [0.005]
    assert result["unreached"][0]["never_reached"] > 5       # > 0.5 % of the trials need more than 45 samples
