"""Run studies: cells in parallel, results cached atomically, tables and figures written.

A study is split into independent *cells* (JSON-able dicts holding everything their
result depends on, including the seed). Each cell's result is cached under a key made of
the study name, the cell and the code version as soon as it finishes, so an interrupted
run resumes where it stopped; the assembled tables of a finished study are cached under
the study name, all its parameters and the code version. Random draws come from
:func:`rng_for` (a numpy Generator seeded by the run seed and the cell's content), so the
results do not depend on the order or the number of processes (``jobs``), nor on the
executor (a local pool or a Dask cluster, ``slt.executors``).
"""

from __future__ import annotations

import json
import time
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..executors import completed, executor_label, open_executor
from ..progress import note, progress_bar
from . import load
from .cache import Cache, canonical, code_version, file_sha256, key, write_if_changed
from .tables import Table


def rng_for(seed: int, *parts) -> np.random.Generator:
    """A Generator determined by the run seed and ``parts`` (strings or JSON-able values)."""
    words = [int(seed)] + [zlib.crc32(canonical(p).encode()) for p in parts]
    return np.random.default_rng(np.random.SeedSequence(words))


def _blas_threads(count: int):
    """Limit BLAS threads (threadpoolctl, if installed): cells run in parallel processes and
    their matrix products are small, so one thread each is faster (measured 2.3x on
    error_vs_m on 2 cores) and never oversubscribes the machine."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=count, user_api="blas")


def _execute(task):
    """(result, seconds) of one cell; a cell that raises becomes a failed result (not cached,
    named in ``StudyRun.failed``, exit status 1) instead of stopping every other study."""
    name, cell, out = task
    t0 = time.perf_counter()
    mod = load(name)
    try:
        with _blas_threads(1):
            result = mod.compute_cell(cell, out=out) if getattr(mod, "NEEDS_OUT", False) else mod.compute_cell(cell)
    except Exception as exc:  # noqa: BLE001 - reported as a failed cell, the run goes on
        reason = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result = {"failed": True, "reason": reason, "_nocache": True}
    return result, time.perf_counter() - t0


@dataclass
class StudyRun:
    name: str
    params: dict
    version: str
    cells: list = field(default_factory=list)
    keys: list = field(default_factory=list)
    results: list = field(default_factory=list)
    tables: list | None = None
    from_cache: str = "no"  # "study", "cells: k/n" or "no"
    seconds: float = 0.0
    figures: dict = field(default_factory=dict)
    table_paths: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    nocache: bool = False  # a cell asked not to be cached (e.g. a failed experiment)
    failed: list = field(default_factory=list)  # one line per failed cell (exit status 1 of slt reproduce)
    figures_rendered: bool = True
    preset: str = "full"


def plan(names, preset: str, seed: int, cache: Cache, overrides: dict | None = None) -> list[StudyRun]:
    """Parameters, code versions, cells and cache hits of each study (nothing computed)."""
    runs = []
    for name in names:
        mod = load(name)
        params = mod.parameters(preset, seed)
        if overrides and name in overrides:
            params = {**params, **overrides[name]}
        version = code_version(
            mod.__name__, "slt.studies.tables", "slt.studies.runner", *getattr(mod, "CODE_MODULES", ())
        )
        run = StudyRun(name, params, version, preset=preset)
        hit = cache.get(key(name, params, version), check=_study_entry)
        if hit is not None:
            run.tables = _study_entry(hit)
            run.seconds = float(hit["seconds"])
            run.from_cache = "study"
            run.cells = mod.cells(params)  # for the record only: nothing is computed
        else:
            run.cells = mod.cells(params)
            run.keys = [key(f"{name}/cell", cell, version) for cell in run.cells]
            run.results = [cache.get(k, check=_cell_entry) for k in run.keys]
            hits = sum(r is not None for r in run.results)
            run.from_cache = f"cells {hits}/{len(run.cells)}" if hits else "no"
        runs.append(run)
    return runs


def _study_entry(value) -> list:
    """The tables of a cached study entry {"tables": [...], "seconds": s}; raises on any other shape."""
    if (
        not isinstance(value, dict)
        or set(value) != {"tables", "seconds"}
        or not isinstance(value["tables"], list)
        or isinstance(value["seconds"], bool)
        or not isinstance(value["seconds"], (int, float))
    ):
        raise ValueError("a study entry is {tables: [...], seconds: number}")
    return [Table.from_dict(t) for t in value["tables"]]


def _cell_entry(value) -> None:
    """A cached cell result is a JSON object or array (what the studies' compute_cell return)."""
    if not isinstance(value, (dict, list)):
        raise TypeError(f"a cell result is an object or an array, got {type(value).__name__}")


def execute(runs: list[StudyRun], cache: Cache, executor=None, bar=None, on_study_done=None, out=None) -> None:
    """Compute every missing cell (in this process if ``executor`` is None, else as tasks of
    that ``concurrent.futures.Executor``: a local pool, a Dask cluster), caching each result
    as it lands, so an interrupted run (Ctrl-C, a killed client) resumes where it stopped;
    call ``on_study_done(run)`` as soon as a study has all its cells; ``bar`` (a
    ``slt.progress`` bar, or None) counts the cells."""
    pending = missing_cells(runs)
    remaining = [sum(r is None for r in run.results) if run.tables is None else 0 for run in runs]

    def finish(i, j, result, seconds):
        run = runs[i]
        run.results[j] = result
        run.seconds += seconds
        if not (isinstance(result, dict) and result.get("_nocache")):  # failures are retried next time
            cache.put(run.keys[j], result, meta={"study": run.name, "cell": run.cells[j], "seconds": seconds})
        else:
            run.nocache = True
        remaining[i] -= 1
        if bar is not None:
            bar.set_postfix_str(f"{run.name}: {_cell_label(run.cells[j])}", refresh=False)
            bar.update()
        if remaining[i] == 0 and on_study_done:
            on_study_done(run)

    for i, run in enumerate(runs):  # studies already complete (cached study or all cells cached)
        if remaining[i] == 0 and on_study_done:
            on_study_done(run)
    tasks = [(runs[i].name, runs[i].cells[j], out) for i, j in pending]
    for index, (result, seconds) in completed(executor, _execute, tasks):
        finish(*pending[index], result, seconds)


def missing_cells(runs: list[StudyRun]) -> list[tuple[int, int]]:
    """(study index, cell index) of every cell still to compute, the most expensive first."""
    pending = [
        (i, j) for i, run in enumerate(runs) if run.tables is None for j, r in enumerate(run.results) if r is None
    ]
    return sorted(pending, key=lambda ij: -float(runs[ij[0]].cells[ij[1]].get("cost", 1.0)))


def _cell_label(cell: dict) -> str:
    return ", ".join(
        f"{k}={v}" for k, v in cell.items() if k not in ("seed", "cost") and not isinstance(v, (dict, list))
    )[:70]


def finalize(run: StudyRun, cache: Cache, out: Path) -> None:
    """Assemble the tables (or take them from the cache), write tables and figures; files
    whose bytes do not change are not rewritten, and a figure is rendered again only when
    its tables or its code changed or one of its files is missing or altered
    (:func:`write_figure`). Failed cells (results with ``failed: true``) are listed in
    ``run.failed``."""
    mod = load(run.name)
    if run.tables is None:
        run.failed = [
            f"{run.name}: {_cell_label(c)}: {r.get('reason', 'failed')}"
            for c, r in zip(run.cells, run.results)
            if isinstance(r, dict) and r.get("failed")
        ]
        if run.failed and getattr(mod, "NAME", "") != "experiments":  # only that study tabulates its failures
            run.tables, run.figures = [], {}
            return
        run.tables = mod.assemble(run.params, run.results)
        for t in run.tables:
            t.params = run.params
        if not run.nocache and not run.failed:
            cache.put(
                key(run.name, run.params, run.version),
                {"tables": [t.to_dict() for t in run.tables], "seconds": run.seconds},
                meta={"study": run.name},
            )
    out.mkdir(parents=True, exist_ok=True)
    for t in run.tables:
        run.table_paths[t.name] = t.write(out)
    tables = {t.name: t for t in run.tables}
    run.figures = write_figure(mod, run, out, tables, cache)
    run.summary = mod.summary(tables)


def figure_version(mod) -> str:
    """Code version of a study's figure: the study, ``figures.py``, its ``CODE_MODULES`` and
    the modules its figure is drawn by (``FIGURE_MODULES``)."""
    modules = (*getattr(mod, "CODE_MODULES", ()), *getattr(mod, "FIGURE_MODULES", ()))
    return code_version(mod.__name__, "slt.studies.figures", *modules)


def write_figure(mod, run: StudyRun, out: Path, tables: dict, cache: Cache) -> dict:
    """The study's figure files ({layout: {format: path}}): taken as they are when the cache
    holds the SHA-256 of every file for these tables and this code and the files on disk
    still match, else rendered (``figures.save_figure``) and their checksums cached."""
    from .figures import figure_paths, save_figure

    version = figure_version(mod)
    fig_key = key(f"{run.name}/figure", {"tables": [t.to_dict() for t in run.tables], "preset": run.preset}, version)
    paths = figure_paths(run.name, out)
    files = {f"{layout}.{fmt}": p for layout, fmts in paths.items() for fmt, p in fmts.items()}
    stored = cache.get(fig_key)
    if stored is not None and all(stored.get(name) == file_sha256(p) for name, p in files.items()):
        run.figures_rendered = False
        return paths
    written = save_figure(mod.figure, run.name, out, tables, preset=run.preset)
    cache.put(fig_key, {name: file_sha256(p) for name, p in files.items()}, meta={"study": run.name, "figure": True})
    run.figures_rendered = True
    return written


def run_studies(
    names,
    preset: str,
    seed: int,
    out,
    jobs: int = 1,
    use_cache: bool = True,
    progress: bool = True,
    overrides: dict | None = None,
    cache_dir=None,
    cache: Cache | None = None,
    executor="local",
) -> list[StudyRun]:
    """Run the named studies and write their outputs under ``out``; returns the runs.
    ``executor``: a spec of ``slt.executors`` ("local": a pool of at most min(``jobs``,
    missing cells, cores) processes, or this process; "dask-local:N", "tcp://HOST:PORT")
    or an Executor. ``progress``: draw the progress display (cells done / total) on stderr.
    ``cache``: the Cache to use (its ``problems`` list the invalid entries met), default OUT/.cache."""
    out = Path(out)
    if cache is None:
        cache = Cache(Path(cache_dir) if cache_dir else out / ".cache", enabled=use_cache)
    runs = plan(names, preset, seed, cache, overrides)
    total = sum(len(r.cells) for r in runs if r.tables is None)
    done = sum(sum(x is not None for x in r.results) for r in runs if r.tables is None)
    work = len(missing_cells(runs))
    with progress_bar(total, "slt reproduce", unit="cell", enabled=progress) as bar:
        bar.update(done)
        note(
            bar,
            f"slt reproduce: {len(runs)} studies, {total} cells ({done} cached) -> {out}"
            + (f", {executor_label(executor, jobs, work)}" if work else ""),
        )
        for line in cache.problems:
            note(bar, f"  {line}")

        def study_done(run):
            finalize(run, cache, out)
            note(bar, f"  done: {run.name} (from cache: {run.from_cache})")

        with open_executor(executor if work else None, jobs=jobs, work=work) as pool:
            execute(runs, cache, executor=pool, bar=bar, out=str(out), on_study_done=study_done)
    return runs


def study_run(module, preset: str = "quick", seed: int = 0, out=None, **overrides):
    """Run one study in this process (no parallelism); returns (tables, figure).

    With ``out`` the tables and figures are also written there (and cached in out/.cache)."""
    import tempfile

    from .figures import style

    name = module.NAME
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory()
        out = tmp.name
    try:
        runs = run_studies(
            [name],
            preset,
            seed,
            out,
            jobs=1,
            use_cache=tmp is None,
            progress=False,
            overrides={name: overrides} if overrides else None,
        )
        tables = {t.name: t for t in runs[0].tables}
        with style():
            fig = module.figure(tables, 7.0)
        return tables, fig
    finally:
        if tmp is not None:
            tmp.cleanup()


def write_timings(runs, out, extra: dict | None = None) -> None:
    data = {r.name: {"cells": len(r.cells), "cached": r.from_cache, "cell_seconds": round(r.seconds, 2)} for r in runs}
    if extra:
        data.update(extra)
    write_if_changed(Path(out) / "timings.json", (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
