"""Benchmarks: ``slt bench NAME ...`` or ``python -m slt.bench NAME ...``.

Each benchmark lives in ``slt/bench_<name>.py`` exposing ``add_arguments(parser)`` and
``run(args) -> dict`` (the measured numbers, printed as a table or JSON).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

BENCHMARKS = ["basis", "subsetsum", "prune", "io", "calibrate"]


def _register(sub) -> None:
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(f"slt.bench_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"slt.bench_{name}":
                raise
            continue
        p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
        p.add_argument("--json", action="store_true", help="print the numbers as JSON")
        p.set_defaults(bench=module)


def flatten(result: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}: nested results (compare, status counts) as table rows."""
    rows = {}
    for key, value in result.items():
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            rows.update(flatten(value, f"{prefix}{key}."))
        else:
            rows[prefix + key] = value
    return rows


def _run(args) -> int:
    result = args.bench.run(args)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        rows = flatten(result)
        width = max(len(k) for k in rows)
        for key, value in rows.items():
            print(f"{key:<{width}}  {value}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("bench", help="time the toolkit (benchmarks; numbers go in the README)")
    sub = p.add_subparsers(dest="benchmark", metavar="NAME")
    sub.required = True
    _register(sub)
    p.set_defaults(func=_run)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slt.bench", description="time the toolkit (as `slt bench`)")
    sub = parser.add_subparsers(dest="benchmark", metavar="NAME")
    sub.required = True
    _register(sub)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args)
    except ValueError as exc:
        parser.exit(2, f"slt bench: error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
