"""``slt reproduce``: run every study and write the figures and tables into ``reports/``.

    slt reproduce --quick              # CI-sized (about a minute on 2 cores), into reports/quick
    slt reproduce                      # the full run whose output is committed, into reports
    slt reproduce --only basis_sizes width_vs_eps --jobs 2

Studies (``slt/studies``): the random Subset-Sum curve, width versus eps, error versus
overparameterisation, basis sizes, sparsity, plus one row per end-to-end experiment
(``slt experiment``). Cells of all studies run in ``--jobs`` processes; every finished
cell and study is cached in OUT/.cache (atomic writes), keyed by its parameters and the
code version, so an interrupted run resumes without recomputing. ``--executor
dask-local:N`` or ``tcp://HOST:PORT`` runs the cells on Dask workers (``slt.executors``).
Results depend only on ``--seed`` (never on ``--jobs`` or ``--executor``). Progress goes
to stderr; OUT/README.md indexes everything.
"""

from __future__ import annotations

import json
import sys
import time

from .executors import add_executor_argument, executor_label, parse_executor


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reproduce",
        help="run every study and write the figures and tables into reports/",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--quick", action="store_true", help="CI-sized run (fewer trials, seeds and grid points)")
    p.add_argument(
        "--preset",
        choices=("tiny", "quick", "full"),
        help="size of the run (default full; --quick = --preset quick; tiny is for tests)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="output directory, checked writable before anything runs (default, relative to the working "
        "directory: reports for the full run, reports/quick or reports/tiny otherwise, so a quick run "
        "never overwrites the committed full reports)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes of --executor local, 1..1024 (default: the available cores); at most "
        "min(N, cells to compute, cores) are started",
    )
    add_executor_argument(p)
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--only", nargs="+", metavar="STUDY", help="run only these studies")
    p.add_argument(
        "--experiments",
        choices=("quick", "full", "none"),
        help="configuration of the end-to-end experiments of `slt experiment` run as the "
        "last rows: default quick (their full configurations take longer than the whole budget "
        "of the full run; run `slt experiment NAME` for those)",
    )
    p.add_argument("--no-experiments", action="store_true", help="same as --experiments none")
    p.add_argument(
        "--no-cache", action="store_true", help="recompute everything (the cache is neither read nor written)"
    )
    p.add_argument("--list", action="store_true", help="list the studies and their cache state, run nothing")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the summary (studies, files, failed cells, wall time) as JSON on stdout; no progress display",
    )
    p.set_defaults(func=run)


def _names(args) -> list[str]:
    from slt.studies import ALL

    if args.only:
        unknown = [n for n in args.only if n not in ALL]
        if unknown:
            raise ValueError(f"unknown study {', '.join(unknown)}: choose from {', '.join(ALL)}")
        names = [n for n in ALL if n in args.only]
    else:
        names = list(ALL)
    if args.no_experiments and args.experiments not in (None, "none"):
        raise ValueError(f"--no-experiments contradicts --experiments {args.experiments}: give one of them")
    if args.no_experiments or args.experiments == "none":
        names = [n for n in names if n != "experiments"]
        if not names:
            raise ValueError("--only experiments with --no-experiments (or --experiments none) leaves no study to run")
    return names


def _command(args, preset: str) -> str:
    parts = ["slt reproduce"]
    if preset == "quick":
        parts.append("--quick")
    elif preset != "full":
        parts.append(f"--preset {preset}")
    if args.seed != 0:
        parts.append(f"--seed {args.seed}")
    if args.experiments == "full":
        parts.append("--experiments full")
    return " ".join(parts)


def run(args) -> int:
    from constructions import check_output_dir
    from groups import check_int
    from slt.pool import check_jobs, cpu_count
    from slt.studies.readme import write_index
    from slt.studies.runner import Cache, plan, run_studies, write_timings

    if args.quick and args.preset not in (None, "quick"):
        raise ValueError(f"--quick conflicts with --preset {args.preset}")
    preset = "quick" if args.quick else (args.preset or "full")
    jobs = check_jobs(args.jobs if args.jobs is not None else cpu_count())
    parse_executor(args.executor)
    check_int("--seed", args.seed, 0)
    names = _names(args)
    default = "reports" if preset == "full" else f"reports/{preset}"
    out = check_output_dir(args.out if args.out is not None else default, "--out", parents=args.out is None)
    overrides = {}
    if args.experiments in ("quick", "full"):
        from slt.studies.experiments_summary import parameters as experiment_parameters

        overrides["experiments"] = experiment_parameters(preset, args.seed, args.experiments)
    cache = Cache(out / ".cache", enabled=not args.no_cache)
    if args.list:
        return _list(plan(names, preset, args.seed, cache, overrides), cache, args.json)
    t0 = time.perf_counter()
    runs = run_studies(
        names,
        preset,
        args.seed,
        out,
        jobs=jobs,
        progress=not args.json,
        overrides=overrides,
        cache=cache,
        executor=args.executor,
    )
    wall = time.perf_counter() - t0
    timings = {
        r.name: {"cells": len(r.cells), "cached": r.from_cache, "cell_seconds": round(r.seconds, 1)} for r in runs
    }
    timings.update({"wall_seconds": round(wall, 1), "jobs": jobs, "preset": preset})
    write_timings(runs, out, {"wall_seconds": round(wall, 1), "jobs": jobs, "preset": preset})
    index = write_index(out, runs, _command(args, preset), preset, args.seed, timings)
    failed = [line for r in runs for line in r.failed]
    summary = {
        "preset": preset,
        "seed": args.seed,
        "jobs": jobs,
        "executor": executor_label(args.executor, jobs),
        "out": str(out),
        "index": str(index),
        "wall_seconds": round(wall, 2),
        "failed_cells": failed,
        "cache_problems": cache.problems,
        "studies": [
            {
                "name": r.name,
                "cells": len(r.cells),
                "from_cache": r.from_cache,
                "figures_rendered": r.figures_rendered,
                "failed": r.failed,
                "files": [str(p) for d in r.table_paths.values() for p in d.values()]
                + [str(p) for d in r.figures.values() for p in d.values()],
            }
            for r in runs
        ],
    }
    _print_summary(summary, args.json)
    return 1 if failed else 0


def _list(runs, cache, as_json: bool) -> int:
    rows = [
        {"name": r.name, "cells": len(r.cells), "state": "cached (study)" if r.tables is not None else r.from_cache}
        for r in runs
    ]
    if as_json:
        print(json.dumps({"studies": rows, "cache_problems": cache.problems}, indent=2))
        return 0
    for line in cache.problems:
        print(line, file=sys.stderr)
    for r in rows:
        print(f"{r['name']:18s} {r['cells']:4d} cells   {r['state']}")
    return 0


def _print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        sys.stdout.flush()
        return
    runs = summary["studies"]
    print(
        f"slt reproduce: {len(runs)} studies ({summary['preset']}, seed {summary['seed']}) in "
        f"{summary['wall_seconds']:.1f} s ({summary['executor']})"
    )
    for r in runs:
        drawn = "" if r["figures_rendered"] else ", figures up to date"
        print(f"  {r['name']:18s} {len(r['files']):3d} files   cells from cache: {r['from_cache']}{drawn}")
    print(f"index: {summary['index']}")
    for line in summary["cache_problems"]:
        print(f"note: {line}")
    if summary["failed_cells"]:
        print(f"FAILED cells ({len(summary['failed_cells'])}; exit status 1, not cached, retried by the next run):")
        for line in summary["failed_cells"]:
            print(f"  - {line}")
    sys.stdout.flush()
