"""The studies of `slt reproduce` (slt/studies): each produces its files with the expected columns and
finite values, figures open, and the numerical building blocks are right."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from slt.studies import ALL, STUDIES, load
from slt.studies.runner import run_studies

# ----------------------------------------------------------------------------- the tiny run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    runs = run_studies(list(ALL), "tiny", 0, out, jobs=1, progress=False)
    return out, {r.name: r for r in runs}


@pytest.mark.parametrize("name", ALL)
def test_study_writes_tables_with_declared_columns_and_finite_values(tiny, name):
    out, runs = tiny
    run = runs[name]
    assert run.tables, f"{name} produced no table"
    for table in run.tables:
        with open(out / f"{table.name}.csv") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == [c.name for c in table.columns]
        assert len(rows) - 1 == len(table.rows)
        for row in rows[1:]:
            for cell in row:
                try:
                    value = float(cell)
                except ValueError:
                    continue  # text, booleans and empty (= not determined) cells
                assert math.isfinite(value), f"{table.name}: non-finite value {cell!r}"
        tex = (out / f"{table.name}.tex").read_text()
        assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
        data = json.loads((out / f"{table.name}.json").read_text())
        assert [c["name"] for c in data["columns"]] == rows[0]
        assert all(c["label"] for c in data["columns"])


@pytest.mark.parametrize("name", [n for n in ALL if n != "experiments"])
def test_study_tables_are_not_empty(tiny, name):
    _, runs = tiny
    assert all(t.rows for t in runs[name].tables), f"{name}: an empty table"


@pytest.mark.parametrize("name", ALL)
def test_figures_open(tiny, name):
    import matplotlib.image as mpimg

    out, runs = tiny
    figs = runs[name].figures
    assert set(figs) == {"1col", "2col"}
    for layout, width_in in (("1col", 3.4), ("2col", 7.0)):
        png = mpimg.imread(figs[layout]["png"])
        assert png.ndim == 3 and png.shape[1] == round(width_in * 200)  # width of the layout at 200 dpi
        pdf = figs[layout]["pdf"].read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_tiny_output_has_the_shape_of_the_committed_reports(tiny):
    """Same tables with the same columns, and the same figure files, as the committed full run."""
    from pathlib import Path

    reports = Path(__file__).resolve().parents[1] / "reports"
    if not (reports / "README.md").exists():
        pytest.skip("no committed reports/ yet")
    out, _ = tiny

    def shape(d):
        heads = {}
        for p in sorted(d.glob("*.csv")):
            with open(p) as fh:
                heads[p.name] = next(csv.reader(fh))
        return heads

    assert shape(out) == shape(reports)
    assert sorted(p.name for p in out.glob("*_?col.*")) == sorted(p.name for p in reports.glob("*_?col.*"))


def test_every_study_module_follows_the_protocol():
    for name in ALL:
        mod = load(name)
        for attr in ("NAME", "TITLE", "parameters", "cells", "compute_cell", "assemble", "figure", "summary"):
            assert hasattr(mod, attr), f"{name} lacks {attr}"
        for preset in ("tiny", "quick", "full"):
            cells = mod.cells(mod.parameters(preset, 0))
            json.dumps(cells)  # cells are JSON-able (cache keys, worker processes)
    for name in STUDIES:
        assert callable(load(name).run)


def test_run_returns_tables_and_a_figure():
    from matplotlib.figure import Figure

    from slt.studies import basis_sizes

    tables, fig = basis_sizes.run("tiny")
    assert "basis_sizes" in tables and isinstance(fig, Figure)


# ----------------------------------------------------------------------------- study 4: basis sizes


def test_bandlimited_dims_match_the_published_escnn_sizes():
    from bounds import bandlimited_dim
    from slt.studies.basis_sizes import REFERENCE_BANDLIMITED

    for (group, fin, fout, k), ref in REFERENCE_BANDLIMITED.items():
        assert bandlimited_dim(group, fin, fout, k) == ref
    # C1 trivial 3x3: one radial profile at r = 0, frequencies -2..2 on the ring r = 1
    assert bandlimited_dim("C1", "trivial", "trivial", 3) == 1 + 5
    # every band-limited basis is a subspace of the exact one
    from bounds import basis_dim

    for g in ("C2", "C4", "D1", "D2", "D4"):
        for k in (3, 5):
            for fi, fo in (("regular", "regular"), ("trivial", "trivial"), ("regular", "trivial")):
                spec = {"family": "steerable", "grid": k, "kernel": k, "group": g}
                exact = basis_dim(dict(spec, field=fi), dict(spec, field=fo))
                assert bandlimited_dim(g, fi, fo, k) <= exact
    with pytest.raises(ValueError):
        bandlimited_dim("C6", "regular", "regular", 3)


def test_basis_sizes_closed_forms_agree_with_constructed_bases(tiny):
    _, runs = tiny
    for row in runs["basis_sizes"].tables[0].rows:
        assert row["basis_dim_closed_form"] == row["basis_dim_orbital"]
        assert row["basis_norm_closed_form"] == pytest.approx(row["basis_norm_orbital"], rel=1e-9)


# ----------------------------------------------------------------------------- study 1: Subset-Sum curve


def test_reference_points_are_reported_beside_the_published_rates(tiny):
    _, runs = tiny
    ref = {t.name: t for t in runs["subset_sum_curve"].tables}["subset_sum_curve_reference"]
    for row in ref.rows:
        assert row["n"] == 15 and row["eps"] == 0.01
        assert row["failure_rate_published"] in (0.004, 0.036)
        assert row["ci95_low_measured"] <= row["failure_rate_measured"] <= row["ci95_high_measured"]


def test_curve_probabilities_are_monotone_in_n(tiny):
    _, runs = tiny
    curve = runs["subset_sum_curve"].tables[0]
    for d in {r["distribution"] for r in curve.rows}:
        for e in {r["eps"] for r in curve.rows}:
            for col in ("p_target_measured", "p_sup_measured"):
                ps = [
                    r[col]
                    for r in sorted(curve.where(distribution=d, eps=e), key=lambda r: r["n"])
                    if r[col] is not None
                ]
                assert all(0 <= p <= 1 for p in ps)
                assert all(x <= y for x, y in zip(ps, ps[1:]))


# ----------------------------------------------------------------------------- study 2: width vs eps


def test_bound_curve_equals_the_construction_certificate_where_exact():
    from constructions import overparameterize
    from slt.studies.width_vs_eps import FAMILIES, bound_curve, certified_bound, target_network

    cfg = FAMILIES["CNN"]
    target = target_network(cfg["spec"], cfg["channels"], 0)
    wide = overparameterize(target, 24, seed=3)
    bound, exact = bound_curve(wide, target, max_nonzero=24)
    assert exact.all()
    assert np.all(np.diff(bound) <= 1e-12)
    for m in (4, 12, 24):
        assert bound[m] == pytest.approx(certified_bound(wide, target, m, max_nonzero=24), rel=1e-12)


def test_bisection_finds_the_smallest_m_of_a_monotone_bound():
    from slt.studies.width_vs_eps import smallest_certified_m

    bound = lambda m: 10.0 / m  # noqa: E731
    assert smallest_certified_m(bound, 1.0, 1, 64) == 10
    assert smallest_certified_m(bound, 0.01, 1, 64) is None
    assert smallest_certified_m(bound, 20.0, 1, 64) == 1


def test_width_table_has_three_widths_and_ratios(tiny):
    _, runs = tiny
    t = runs["width_vs_eps"].tables[0]
    for row in t.rows:
        assert row["lower_bound_width"] >= 0 and row["theorem_width_C1"] >= 1
        if row["measured_m"] is not None:
            assert row["tightness_measured"] == pytest.approx(row["random_params_measured"] / row["lower_bound_params"])


# ----------------------------------------------------------------------------- studies 3 and 5


def test_error_vs_m_bounds_dominate_measurements(tiny):
    _, runs = tiny
    t = runs["error_vs_m"].tables[0]
    for r in t.rows:
        if r["error_bound_this_target"] is not None:
            assert r["sup_error_ascent_measured"] <= r["error_bound_this_target"] * (1 + 1e-9)
            assert r["sup_error_sampled_measured"] <= r["sup_error_ascent_measured"] * (1 + 1e-12)
            assert r["equivariance_error_measured"] < 1e-9


def test_sparsity_masks_meet_eps_and_min_cardinality_is_sparsest(tiny):
    _, runs = tiny
    t = runs["sparsity"].tables[0]
    assert any(r["m"] is not None for r in t.rows)
    for r in t.rows:
        if r["m"] is None:
            continue
        for key in ("optimal_error", "first_prefix", "min_cardinality"):
            assert r[f"error_bound_{key}"] <= r["eps"]
        if r["min_cardinality_proven"] == r["min_cardinality_instances"]:
            assert r["kept_min_cardinality"] <= r["kept_first_prefix"]
            assert r["kept_min_cardinality"] <= r["kept_optimal_error"]


# ----------------------------------------------------------------------------- tables, figures, cache


def test_table_labels_are_checked_and_latex_is_escaped():
    from slt.studies.tables import Column, Table

    with pytest.raises(ValueError):
        Column("x", "guessed")
    t = Table(
        "t",
        "a_b & ||B|| <= 1",
        [Column("n_in", "input"), Column("v", "measured")],
        [{"n_in": 1, "v": 1.5e-7}, {"n_in": 2, "v": None}],
    )
    tex = t.to_latex()
    assert r"a\_b \& $\|B\|$ $\le$ 1" in tex and r"1.500\times 10^{-7}" in tex and "--" in tex
    assert t.to_csv().splitlines() == ["n_in,v", "1,1.5e-07", "2,"]
    with pytest.raises(ValueError):
        Table("t", "", [Column("a", "input")], [{"b": 1}])


def test_cache_key_depends_on_study_parameters_and_code():
    from slt.studies.cache import key

    k = key("s", {"a": 1, "b": [1, 2]}, "v1")
    assert k == key("s", {"b": [1, 2], "a": 1}, "v1")
    assert k != key("s", {"a": 2, "b": [1, 2]}, "v1")
    assert k != key("s", {"a": 1, "b": [1, 2]}, "v2")
    assert k != key("t", {"a": 1, "b": [1, 2]}, "v1")


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    import os

    from slt.studies import cache

    path = tmp_path / "entry.json"
    cache.atomic_write_text(path, "old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        cache.atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]  # no temporary file left


def test_corrupt_cache_entry_counts_as_missing(tmp_path):
    from slt.studies.cache import Cache

    c = Cache(tmp_path)
    c.put("k", {"x": 1})
    assert c.get("k") == {"x": 1}
    (tmp_path / "k.json").write_text('{"value": ')
    assert c.get("k") is None


def test_rng_for_is_deterministic_and_distinct():
    from slt.studies.runner import rng_for

    a = rng_for(0, "study", {"cell": 1}).random(3)
    assert np.array_equal(a, rng_for(0, "study", {"cell": 1}).random(3))
    assert not np.array_equal(a, rng_for(1, "study", {"cell": 1}).random(3))
    assert not np.array_equal(a, rng_for(0, "study", {"cell": 2}).random(3))


def test_a_failing_experiment_is_a_table_row_not_a_crash(monkeypatch, tmp_path):
    import slt.experiments
    from slt.studies import experiments_summary as es

    def broken(*args, **kwargs):
        raise ValueError("scikit-learn is missing")

    monkeypatch.setattr(slt.experiments, "run_experiment", broken)
    cell = es.cells(es.parameters("quick", 0))[0]
    result = es.compute_cell(cell, out=tmp_path)
    assert result["_nocache"] and result["reason"] == "failed: ValueError: scikit-learn is missing"
    table = es.assemble({"names": [cell["experiment"]], "quick": True, "seed": 0}, [result])[0]
    assert table.rows == [{"experiment": cell["experiment"], "status": result["reason"]}]


def test_the_experiments_study_never_writes_where_slt_experiment_puts_full_runs(tmp_path, monkeypatch):
    """A full `slt reproduce` runs the quick experiments: their files go to OUT/experiments_quick,
    so reports/experiments keeps the full runs of `slt experiment`; --experiments full writes there."""
    import slt.experiments as experiments
    from slt.studies import experiments_summary as study

    seen = []
    monkeypatch.setattr(experiments, "run_experiment", lambda name, quick, seed, out: seen.append(out) or {})
    for quick in (True, False):
        study.compute_cell({"experiment": "mpnn", "quick": quick, "seed": 0}, out=tmp_path)
    assert seen == [tmp_path / "experiments_quick", tmp_path / "experiments"]
    assert study.parameters("full", 0)["quick"] is True


def test_a_figure_drawn_in_another_module_is_part_of_the_figure_version(monkeypatch):
    """Editing subset_sum_figure.py re-renders the figure: its file is hashed into the version."""
    from slt.studies import cache, load, runner

    seen = []
    monkeypatch.setattr(cache, "_tree_hash", lambda paths: seen.append(paths) or "0" * 16)
    runner.figure_version(load("subset_sum_curve"))
    runner.figure_version(load("basis_sizes"))
    assert any(p.endswith("subset_sum_figure.py") for p in seen[0])
    assert not any(p.endswith("subset_sum_figure.py") for p in seen[1])
