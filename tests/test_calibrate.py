"""``slt calibrate``: statistics and fits (bounds.statistics), the quick run, the cache and resume,
bad input, and the shipped calibration (bounds/data/calibration.json) against the proven floors.
The walks it runs are tested in test_cover.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import binomtest

from bounds import (
    CALIBRATION_PATH,
    calibration,
    calibration_points,
    clopper_pearson_upper,
    fit_one_constant,
    fit_separable,
    smallest_m,
)
from bounds.floors import m_floor
from slt.cli import main


# ------------------------------------------------------------------ statistics
@pytest.mark.parametrize(
    "failures, trials, alpha", [(0, 100, 0.05), (3, 100, 0.05), (17, 30000, 0.00625), (50, 60, 0.01)]
)
def test_clopper_pearson_matches_exact_binomial_interval(failures, trials, alpha):
    upper = clopper_pearson_upper(failures, trials, alpha)
    # the one-sided 1 - alpha upper bound is the upper end of the two-sided 1 - 2 alpha interval
    ref = binomtest(failures, trials).proportion_ci(confidence_level=1 - 2 * alpha, method="exact").high
    assert upper == pytest.approx(ref, rel=1e-9)
    if failures == 0:
        assert upper == pytest.approx(1 - alpha ** (1 / trials), rel=1e-12)


def test_smallest_m_uses_monotone_failure_counts():
    m_star = np.array([5] * 990 + [9] * 9 + [np.inf])  # 1000 trials
    best = smallest_m(m_star, 0.05, 0.05)
    assert best["m"] == 5 and best["failures"] == 10  # 10/1000, upper bound < 0.05
    best = smallest_m(m_star, 0.005, 0.05)
    assert best["m"] == 9 and best["failures"] == 1  # 1/1000: upper bound 0.00474 <= 0.005
    best = smallest_m(m_star, 0.004, 0.05)
    assert best == {"m": None, "failures": None, "upper": None}  # the inf trial always fails: 0.00474 > 0.004
    best = smallest_m(np.array([5] * 2000 + [9] * 2), 0.002, 0.05)  # 2/2002: 0.00314 > 0.002; 0/2002: 0.0015
    assert best["m"] == 9 and best["failures"] == 0


def test_separable_fit_recovers_a_plane_and_covers_points():
    eps = np.array([0.1, 0.01, 1e-3, 0.1, 0.1])
    delta = np.array([0.1, 0.1, 0.1, 1e-3, 1e-5])
    m = 2.0 * np.log2(1 / eps) + 4.0 * np.log(1 / delta) + 7.0
    fit = fit_separable(eps, delta, m)
    assert (fit["a"], fit["b"], fit["c"], fit["c_cover"]) == pytest.approx((2.0, 4.0, 7.0, 7.0))
    m2 = m + np.array([0.0, 3.0, 0.0, 1.0, 0.0])
    fit = fit_separable(eps, delta, m2)
    pred = fit["a"] * np.log2(1 / eps) + fit["b"] * np.log(1 / delta) + fit["c_cover"]
    assert np.all(pred >= m2 - 1e-9) and np.isclose(pred, m2).any()
    with pytest.raises(ValueError, match="vary in both"):
        fit_separable([0.1, 0.01, 0.001], [0.1, 0.1, 0.1], [1, 2, 3])  # delta never varies


def test_one_constant_fit_uses_min_of_eps_and_delta():
    eps, delta = np.array([0.1, 0.01, 0.1]), np.array([0.1, 0.1, 0.001])
    m = 3.0 * np.log(2 / np.minimum(eps, delta)) + 5.0
    fit = fit_one_constant(eps, delta, m)
    assert (fit["C"], fit["c0"], fit["c0_cover"]) == pytest.approx((3.0, 5.0, 5.0))
    assert np.all(fit["C_pure"] * np.log(2 / np.minimum(eps, delta)) >= m - 1e-9)


def test_points_are_simultaneous_and_name_their_axis():
    rng = np.random.default_rng(0)
    prec = rng.integers(20, 60, size=(500, 2)).astype(float)
    conf = rng.integers(20, 80, size=5000).astype(float)
    points, alpha = calibration_points(prec, [0.1, 0.01], 0.2, conf, 0.01, [0.1, 0.01], 0.9)
    assert alpha == pytest.approx(0.1 / 4)
    assert [p["axis"] for p in points] == ["precision"] * 2 + ["confidence"] * 2
    for p in points:
        column = prec[:, 0 if p["eps"] == 0.1 else 1] if p["axis"] == "precision" else conf
        assert p["failures_at_m"] == int(np.sum(column > p["m"]))
        assert clopper_pearson_upper(p["failures_at_m"], p["trials"], alpha) <= p["delta"]
        assert clopper_pearson_upper(p["failures_at_m_minus_1"], p["trials"], alpha) > p["delta"]


# ------------------------------------------------------------------ the command
def check_record(data):
    for key in (
        "separable",
        "one_constant",
        "points",
        "method",
        "confidence",
        "command",
        "seed",
        "date",
        "distribution",
        "runtime_seconds",
        "walks",
    ):
        assert key in data, key
    assert "not proven" in data["label"]
    sep, one = data["separable"], data["one_constant"]
    for p in data["points"]:
        if p["m"] is None:
            continue
        assert p["upper_bound_at_m"] <= p["delta"]
        # every measured point is covered by both fits
        assert sep["a"] * math.log2(1 / p["eps"]) + sep["b"] * math.log(1 / p["delta"]) + sep["c"] >= p["m"] - 1e-9
        assert one["C"] * math.log(2 / min(p["eps"], p["delta"])) + one["c0"] >= p["m"] - 1e-9
        # and no measured m is below the proven floor (the floor is a lower bound of the truth)
        assert p["m"] >= m_floor(p["eps"], p["delta"])
    for axis, key in (("precision", "eps"), ("confidence", "delta")):
        col = [p for p in data["points"] if p["axis"] == axis and p["m"] is not None]
        col.sort(key=lambda p: -p[key])
        assert [p["m"] for p in col] == sorted(p["m"] for p in col)  # tighter needs more samples
    assert sep["eps_range"] == [
        min(p["eps"] for p in data["points"] if p["m"] is not None),
        max(p["eps"] for p in data["points"] if p["m"] is not None),
    ]


def test_quick_run_writes_in_the_working_directory_and_resumes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", "--quick", "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "calibrate:" in captured.err and "3000 trials" in captured.err  # what runs, on stderr
    assert "wrote calibration.json" in captured.out and "\r" not in captured.err
    data = json.loads((tmp_path / "calibration.json").read_text())
    check_record(data)
    assert data["quick"] and data["trials"] == {"precision": 60, "confidence": 3000}
    chunks = sorted((tmp_path / "calibration.json.cache").iterdir())
    assert len(chunks) == 6 + 3  # 60/10 precision + 3000/1000 confidence
    # a killed run keeps its finished chunks: remove one, the rerun recomputes only it, same numbers
    stamps = {c.name: c.stat().st_mtime_ns for c in chunks}
    chunks[0].unlink()
    assert main(["calibrate", "--quick", "--jobs", "2", "--out", "again.json"]) == 0  # other --out: cold cache
    assert (
        main(["calibrate", "--quick", "--jobs", "2", "--cache", "calibration.json.cache", "--out", "resumed.json"]) == 0
    )
    again = json.loads((tmp_path / "again.json").read_text())
    resumed = json.loads((tmp_path / "resumed.json").read_text())
    assert again["points"] == data["points"] == resumed["points"]  # independent of --jobs and resume
    after = {c.name: c.stat().st_mtime_ns for c in (tmp_path / "calibration.json.cache").iterdir()}
    assert [k for k, v in stamps.items() if after[k] != v] == [chunks[0].name]  # only that one recomputed


def test_a_corrupt_chunk_is_recomputed(tmp_path, capsys):
    out = tmp_path / "c.json"
    small = ["calibrate", "--quick", "--jobs", "1", "--out", str(out), "--precision-trials", "30"]
    assert main(small) == 0
    first = json.loads(out.read_text())["points"]
    chunk = sorted((tmp_path / "c.json.cache").iterdir())[-1]
    chunk.write_bytes(b"not an npy file")
    assert main(small) == 0
    assert json.loads(out.read_text())["points"] == first


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--precision-trials", "0"], "--precision-trials must be an integer in 1..1000000, got 0"),
        (["--confidence-trials", "0"], "--confidence-trials must be an integer in 1..100000000, got 0"),
        (["--chunk", "0"], "--chunk must be an integer >= 1, got 0"),
        (["--jobs", "0"], "--jobs must be an integer in 1..1024, got 0"),
        (["--executor", "spark"], "--executor"),
        (["--eps-grid", "0.1", "0.1", "0.01"], "--eps-grid lists 0.1 twice"),
        (["--delta-grid", "0.1", "1.5"], "--delta-grid must be in (0, 1), got 1.5"),
        (["--eps", "0"], "--eps must be in (0, 1), got 0"),
        (["--confidence-trials", "100"], "is too few"),
        (["--install"], "--install with --quick"),
        (["--level", "1.5"], "confidence must be in (0, 1)"),
        (["--eps-grid", "0.1", "5e-324"], "--eps-grid 4.94066e-324 is below 1e-12"),  # was an OverflowError
        (["--eps", "1e-13"], "--eps 1e-13 is below 1e-12"),
        (["--precision-trials", "1000000000000"], "--precision-trials must be an integer in 1..1000000"),
        (["--confidence-trials", "10" * 8], "--confidence-trials must be an integer in 1..100000000"),
        (["--chunk", "0"], "--chunk must be an integer >= 1, got 0"),
        (["--cache", ""], "--cache '' is not a directory name"),  # wrote its chunks into the working directory
        (["--cache", "/proc/cachedir"], "--cache '/proc/cachedir': cannot write"),  # was a traceback
    ],
)
def test_bad_calibrate_arguments(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["calibrate", "--quick", "--out", str(tmp_path / "x.json")] + argv)
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no cache created


def test_unwritable_out_is_refused_before_the_run(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["calibrate", "--quick", "--out", str(tmp_path / "missing" / "x.json")])
    assert info.value.code == 2 and "does not exist" in capsys.readouterr().err


def test_calibrate_pool_is_bounded_by_jobs_chunks_and_cores(monkeypatch, tmp_path):
    """The local pool of slt calibrate starts min(--jobs, chunks to compute, cores) processes."""
    import slt.executors
    from slt.cmd_calibrate import plan_tasks, run_tasks
    from slt.pool import cpu_count

    started = []
    monkeypatch.setattr(slt.executors, "local_pool", lambda n: started.append(n) or None)
    monkeypatch.setattr(slt.executors, "close_pool", lambda pool, interrupted=False: None)
    import slt.cmd_calibrate

    monkeypatch.setattr(slt.cmd_calibrate, "completed", lambda pool, fn, items: iter(()))  # nothing computed
    for jobs, chunks in ((2, 1), (4, 3), (1, 10), (8, 8)):
        started.clear()
        tasks = plan_tasks("confidence", [0.05], 100 * chunks, 100, 64, 7, f"t{jobs}{chunks}")
        run_tasks(tasks, tmp_path, jobs, progress=False, executor="local")
        want = min(jobs, chunks, cpu_count())
        assert started == ([want] if want > 1 else []), (jobs, chunks, started)


# ------------------------------------------------------------------ the shipped calibration
@pytest.mark.skipif(not CALIBRATION_PATH.exists(), reason="no calibration shipped yet (run slt calibrate --install)")
def test_shipped_calibration_file():
    data = calibration()
    check_record(data)
    assert not data["quick"] and data["trials"]["confidence"] >= 10**6
    sep = data["separable"]
    assert sep["eps_range"][0] <= 1e-6 and sep["delta_range"][0] <= 1e-5
    assert all(p["m"] is not None for p in data["points"])


@pytest.mark.skipif(not CALIBRATION_PATH.exists(), reason="no calibration shipped yet (run slt calibrate --install)")
def test_calibrated_requirement_is_above_the_proven_floor_on_its_box():
    """Inside the measured ranges the shipped plane never asks for fewer samples than ANY valid
    requirement needs (bounds.floors); the corners of the box are checked too."""
    from bounds import calibrated_separable, subset_sum_m_separable

    sep = calibrated_separable()
    (e0, e1), (d0, d1) = sep["eps_range"], sep["delta_range"]
    for eps in np.geomspace(e0, e1, 5):
        for delta in np.geomspace(d0, d1, 4):
            m = subset_sum_m_separable(float(eps), float(delta), sep["a"], sep["b"], sep["c"])
            assert m >= m_floor(float(eps), float(delta)), (eps, delta)
