"""``slt reproduce``: the command, its index, resuming after an interruption, determinism
regardless of --jobs, and the shape of the committed reports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from slt.cli import main
from slt.studies import load
from slt.studies.runner import run_studies

REPORTS = Path(__file__).resolve().parents[1] / "reports"
FAST = ["basis_sizes", "width_vs_eps"]
#: width_vs_eps on one family only: three cells of about half a second
SMALL = {
    "width_vs_eps": {
        "families": {"MLP": {"spec": {"family": "mlp"}, "channels": [2, 2, 2], "eps": [0.3, 0.01], "m_max": 128}}
    }
}


def _csvs(out: Path) -> dict:
    return {p.name: p.read_text() for p in sorted(out.glob("*.csv"))}


def test_cli_writes_index_with_every_figure_and_table(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["reproduce", "--preset", "tiny", "--only", "basis_sizes", "--out", str(out), "--jobs", "1"]) == 0
    readme = (out / "README.md").read_text()
    for name in ["basis_sizes"]:
        mod = load(name)
        for layout in ("1col", "2col"):
            for fmt in ("pdf", "png"):
                assert (out / f"{name}_{layout}.{fmt}").exists()
                assert f"{name}_{layout}.{fmt}" in readme
        for t in (p.stem for p in out.glob(f"{name}*.csv")):
            assert f"({t}.csv)" in readme and f"({t}.tex)" in readme
        assert f"--only {mod.NAME}" in readme  # the command that made it
    assert "slt reproduce --preset tiny" in readme and "seed 0" in readme
    assert "index:" in capsys.readouterr().out


def test_smaller_runs_never_overwrite_the_committed_full_reports(tmp_path, monkeypatch):
    """Without --out, --quick / --preset tiny write to reports/quick, reports/tiny."""
    monkeypatch.chdir(tmp_path)
    assert main(["reproduce", "--preset", "tiny", "--only", "basis_sizes", "--jobs", "1"]) == 0
    assert (tmp_path / "reports" / "tiny" / "README.md").exists()
    assert not (tmp_path / "reports" / "README.md").exists()
    assert not list((tmp_path / "reports").glob("*.csv"))


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--only", "nonsense", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "unknown study nonsense" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["reproduce", "--jobs", "0", "--out", str(tmp_path)])


def test_same_seed_same_tables_whatever_the_number_of_jobs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_studies(["width_vs_eps"], "tiny", 0, a, jobs=1, progress=False, overrides=SMALL)
    run_studies(["width_vs_eps"], "tiny", 0, b, jobs=2, progress=False, overrides=SMALL)
    assert _csvs(a) == _csvs(b) and _csvs(a)
    assert (a / "width_vs_eps_2col.pdf").read_bytes() == (b / "width_vs_eps_2col.pdf").read_bytes()


def test_resume_after_interruption_recomputes_nothing_finished(tmp_path, monkeypatch):
    from slt.studies import width_vs_eps

    calls = []
    real = width_vs_eps.compute_cell

    def counting(cell):
        calls.append(cell["draw"])
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user presses Ctrl-C during the third cell
        return real(cell)

    monkeypatch.setattr(width_vs_eps, "compute_cell", counting)
    out = tmp_path / "rep"
    total = len(width_vs_eps.cells({**width_vs_eps.parameters("tiny", 0), **SMALL["width_vs_eps"]}))
    assert total >= 3
    with pytest.raises(KeyboardInterrupt):
        run_studies(["width_vs_eps"], "tiny", 0, out, jobs=1, progress=False, overrides=SMALL)
    assert not list((out / ".cache").glob("*.tmp")) and not list((out / ".cache").glob(".*"))
    finished = len(list((out / ".cache").glob("*.json")))
    assert finished == 2  # the two cells before the interruption

    calls.clear()
    monkeypatch.setattr(width_vs_eps, "compute_cell", lambda cell: (calls.append(cell["draw"]), real(cell))[1])
    run_studies(["width_vs_eps"], "tiny", 0, out, jobs=1, progress=False, overrides=SMALL)
    assert len(calls) == total - 2  # only the unfinished cells
    first = _csvs(out)

    calls.clear()
    runs = run_studies(["width_vs_eps"], "tiny", 0, out, jobs=1, progress=False, overrides=SMALL)
    assert calls == [] and runs[0].from_cache == "study"
    assert _csvs(out) == first


def test_changed_parameters_are_not_taken_from_the_cache(tmp_path):
    from slt.studies.cache import Cache
    from slt.studies.runner import plan

    out = tmp_path / "rep"
    run_studies(["basis_sizes"], "tiny", 0, out, jobs=1, progress=False)
    cache = Cache(out / ".cache")
    assert plan(["basis_sizes"], "tiny", 0, cache)[0].from_cache == "study"
    other = plan(["basis_sizes"], "tiny", 0, cache, overrides={"basis_sizes": {"kernels": [5]}})[0]
    assert other.tables is None  # the study is recomputed ...
    changed = [c for c, r in zip(other.cells, other.results) if r is None]
    assert changed and all(c.get("kernels") == [5] for c in changed)  # ... and exactly the cells that changed
    assert plan(["basis_sizes"], "tiny", 1, cache)[0].tables is None  # another seed: another key


def _shape(directory: Path) -> dict:
    shape = {}
    for p in sorted(directory.glob("*.csv")):
        with open(p) as fh:
            shape[p.name] = next(csv.reader(fh))
    return shape


def _committed() -> dict:
    """Column headers of the committed full run's tables (the tiny run is compared with them in
    test_studies.py, the --quick run here)."""
    if not (REPORTS / "README.md").exists():
        pytest.skip("no committed reports/ yet")
    return _shape(REPORTS)


def test_quick_output_matches_the_committed_reports_in_shape(tmp_path):
    committed = _committed()
    out = tmp_path / "rep"
    assert main(["reproduce", "--quick", "--out", str(out)]) == 0
    assert _shape(out) == committed
    figures = sorted(p.name for p in out.glob("*_?col.*"))
    assert figures == sorted(p.name for p in REPORTS.glob("*_?col.*"))
