"""Fault cases of issue 14: corrupt cache entries, cached reruns that must do nothing, failed
cells, unwritable outputs refused before any work, sizes refused before any allocation."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cli_run import run

from slt.studies.cache import Cache, checksum
from slt.studies.runner import run_studies

STUDY = ["basis_sizes"]


def _entries(out: Path) -> dict:
    """{kind: [path]} of the cache entries: study, cell, figure."""
    kinds = {"study": [], "cell": [], "figure": []}
    for p in sorted((out / ".cache").glob("*.json")):
        meta = json.loads(p.read_text())["meta"]
        kinds["figure" if meta.get("figure") else "cell" if "cell" in meta else "study"].append(p)
    return kinds


def _outputs(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A finished tiny basis_sizes run: (directory, its output files)."""
    out = tmp_path_factory.mktemp("clean")
    run_studies(STUDY, "tiny", 0, out, jobs=1, progress=False)
    return out, _outputs(out)


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_entry_of_the_wrong_shape_is_reported_once_and_recomputed(clean, tmp_path):
    out = _copy(clean[0], tmp_path / "run")
    study = _entries(out)["study"][0]
    study.write_text(json.dumps({"value": 3}))  # valid JSON, wrong shape
    cache = Cache(out / ".cache")
    runs = run_studies(STUDY, "tiny", 0, out, jobs=1, progress=False, cache=cache)
    assert runs[0].from_cache == "cells 5/5"  # recomputed from the cells, not used
    assert len(cache.problems) == 1 and str(study) in cache.problems[0] and "wrong shape" in cache.problems[0]
    assert _outputs(out)["basis_sizes.csv"] == clean[1]["basis_sizes.csv"]
    assert Cache(out / ".cache").get(study.stem) is not None  # overwritten by a valid entry


def test_tampered_number_is_detected_and_recomputed(clean, tmp_path):
    out = _copy(clean[0], tmp_path / "run")
    entries = _entries(out)
    entries["study"][0].unlink()  # force the cells to be read
    cell = entries["cell"][0]
    entry = json.loads(cell.read_text())
    text = json.dumps(entry["value"])
    digit = next(i for i, ch in enumerate(text) if ch.isdigit() and ch != "0")
    tampered = text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1 :]  # a plausible number
    entry["value"] = json.loads(tampered)
    assert entry["sha256"] != checksum(entry["value"])
    cell.write_text(json.dumps(entry))
    cache = Cache(out / ".cache")
    runs = run_studies(STUDY, "tiny", 0, out, jobs=1, progress=False, cache=cache)
    assert runs[0].from_cache == "cells 4/5"
    assert len(cache.problems) == 1 and "checksum mismatch" in cache.problems[0]
    assert _outputs(out)["basis_sizes.csv"] == clean[1]["basis_sizes.csv"]  # the true number, recomputed


@pytest.mark.parametrize("garbage", [b"", b"{not json", b"[1, 2, 3]", b'{"meta": {}, "value": 1}'])
def test_unreadable_entries_never_give_a_traceback(clean, tmp_path, garbage):
    out = _copy(clean[0], tmp_path / "run")
    for p in _entries(out)["study"] + _entries(out)["cell"]:
        p.write_bytes(garbage)
    cache = Cache(out / ".cache")
    run_studies(STUDY, "tiny", 0, out, jobs=1, progress=False, cache=cache)
    assert len(cache.problems) == 6 and _outputs(out)["basis_sizes.csv"] == clean[1]["basis_sizes.csv"]


def test_cached_rerun_computes_renders_and_rewrites_nothing(clean, tmp_path, monkeypatch, capsys):
    import slt.studies.figures as figures
    from slt.studies import load

    out = _copy(clean[0], tmp_path / "run")
    before = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    monkeypatch.setattr(load("basis_sizes"), "compute_cell", lambda *a: pytest.fail("a cached cell was computed"))
    monkeypatch.setattr(figures, "save_figure", lambda *a, **k: pytest.fail("an unchanged figure was rendered"))
    t0 = time.perf_counter()
    code, text, _ = run(["reproduce", "--preset", "tiny", "--only", *STUDY, "--out", str(out), "--jobs", "1"], capsys)
    assert code == 0 and "figures up to date" in text
    assert time.perf_counter() - t0 < 5
    changed = [p.name for p, t in before.items() if p.stat().st_mtime_ns != t]
    assert changed == ["timings.json"] or changed == []  # only the invocation's own wall time


def test_altered_figure_file_is_rendered_again(clean, tmp_path):
    out = _copy(clean[0], tmp_path / "run")
    png = out / "basis_sizes_1col.png"
    png.write_bytes(b"not the figure")
    runs = run_studies(STUDY, "tiny", 0, out, jobs=1, progress=False)
    assert runs[0].figures_rendered and png.read_bytes() == clean[1]["basis_sizes_1col.png"]


def test_failed_cell_makes_the_exit_status_nonzero_and_names_it(tmp_path, monkeypatch, capsys):
    import slt.experiments

    def boom(name, **kw):
        raise RuntimeError(f"{name} exploded")

    monkeypatch.setattr(slt.experiments, "run_experiment", boom)
    argv = f"reproduce --preset tiny --only experiments --experiments quick --out {tmp_path / 'r'} --jobs 1".split()
    code, out, _ = run(argv, capsys)
    assert code == 1
    assert "FAILED cells (4" in out and "experiments: experiment=mpnn" in out and "mpnn exploded" in out
    code, out, _ = run([*argv, "--json"], capsys)
    assert code == 1 and len(json.loads(out)["failed_cells"]) == 4  # failures are never cached


def test_a_cell_that_raises_is_a_failed_cell_not_a_traceback(tmp_path, monkeypatch, capsys):
    import slt.studies.basis_sizes as study

    def boom(cell):
        raise MemoryError("cell exploded")

    monkeypatch.setattr(study, "compute_cell", boom)
    code, out, err = run(
        ["reproduce", "--preset", "tiny", "--only", "basis_sizes", "--out", str(tmp_path / "r"), "--jobs", "1"], capsys
    )
    assert code == 1 and "Traceback" not in err
    assert "FAILED cells" in out and "basis_sizes:" in out and "MemoryError: cell exploded" in out
    assert not list((tmp_path / "r").glob("basis_sizes*.csv"))  # no table assembled from failed cells


@pytest.mark.parametrize(
    "argv, heavy",
    [
        (["reproduce", "--preset", "tiny", "--out", "/proc/slt-no"], "slt.studies.runner.run_studies"),
        (["experiment", "mpnn", "--quick", "--out", "/proc/slt-no"], "slt.experiments.run_experiment"),
        (
            ["prune", "--family", "mlp", "--channels", "2", "2", "--eps", "0.1", "--save", "/proc/x.npz"],
            "constructions.prune",
        ),
        (["export", "{d}", "--out", "/proc/x.npz"], "constructions.load_network"),
        (
            ["import-weights", "{d}", "--family", "mlp", "--channels", "2", "2", "--out", "/proc/x.npz"],
            "constructions.read_npz",
        ),
    ],
)
def test_unwritable_output_is_refused_before_any_work(argv, heavy, monkeypatch, capsys, tmp_path):
    import importlib

    module, name = heavy.rsplit(".", 1)
    monkeypatch.setattr(
        importlib.import_module(module), name, lambda *a, **k: pytest.fail(f"{heavy} ran before the output was checked")
    )
    argv = [a.replace("{d}", str(tmp_path / "in.npz")) for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "/proc/" in err and "cannot write" in err


def test_memory_refusal_comes_before_the_allocation(monkeypatch):
    """Pinned to 1 MB available: refused with the estimate, and nothing was drawn."""
    import groups.memory
    import subsetsum

    monkeypatch.setattr(groups.memory, "available_memory", lambda: 10**6)
    monkeypatch.setitem(subsetsum.SAMPLERS, "uniform", lambda *a: pytest.fail("allocated before the check"))
    with pytest.raises(
        ValueError,
        match=r"1,000,000 samples of the uniform distribution would take about 0\.024 GB, "
        r"more than 80% of the 0\.001 GB of memory available",
    ):
        subsetsum.draw("uniform", (1000, 1000), 0)


def test_memory_check_reads_the_system(monkeypatch):
    import groups.memory

    free = groups.memory.available_memory()
    assert free is None or free > 10**6
    assert groups.check_memory(10, "ten bytes") == 10
