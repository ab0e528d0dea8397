"""``slt verify FILE.npz``: re-check a file written by ``slt prune --save``, strictly.

Loads the file (``constructions.saved.load_pruned``: every malformed file is a one-line
error, exit status 2), regenerates the random network (and the target, when it was drawn
from the seed) from the saved seed, specs, channels and m, solves the Subset-Sum problems
again with the saved settings, recomputes the whole report from the saved masks and
compares everything (``constructions.recheck``). Exit status 0 when everything agrees and
every check holds, 1 when anything differs or a check fails (each named in the report),
2 when the file cannot be read or the flags are wrong.
"""

from __future__ import annotations

import json
import time

from .jsonio import to_jsonable

#: exit status of a file that was read but does not verify
EXIT_FAILED = 1


def add_parser(subparsers) -> None:
    v = subparsers.add_parser(
        "verify",
        help="re-check a file written by `slt prune --save` from scratch",
        description=__doc__.split("\n\n", 1)[1],
    )
    v.add_argument("file", metavar="FILE.npz")
    v.add_argument(
        "--samples",
        type=int,
        default=None,
        help="random unit-sphere inputs for the measured error (default: as saved, else 256)",
    )
    v.add_argument(
        "--certify",
        choices=("auto", "yes", "no"),
        default=None,
        help="level-2 certificate (default: as saved, else auto)",
    )
    v.add_argument(
        "--no-resolve",
        action="store_true",
        help="do not solve the Subset-Sum problems again (masks are then checked for structure, "
        "bound and saved numbers only)",
    )
    v.add_argument("--json", action="store_true", help="print JSON")
    v.set_defaults(func=run_verify)


def run_verify(args) -> int:
    from constructions import (
        check_dims,
        check_failures,
        check_verify_memory,
        from_masks,
        hidden_basis,
        load_pruned,
        meta_failures,
        rebuild,
        report_failures,
        resolved_mask_failures,
        seed_streams,
    )
    from groups import check_int

    from .cmd_prune import build_bases, layer_info, report_for

    t0 = time.perf_counter()
    if args.samples is not None:
        check_int("--samples", args.samples, 1)
    record = load_pruned(args.file)
    samples = args.samples if args.samples is not None else (record.samples or 256)
    certify = args.certify or record.certify or "auto"
    bases = build_bases(record.specs)
    check_verify_memory(bases, record.channels, record.m, samples)
    hidden = [hidden_basis(b) for b in bases]
    check_dims(record, bases, hidden)
    target, random_layers, failures = rebuild(record, bases, hidden)
    failures += meta_failures(record)
    try:
        result = from_masks(random_layers, target, record.masks, method=f"masks from {args.file}")
    except ValueError as exc:  # masks that are not masks of the construction: nothing more to compute
        return _finish(
            {"file": args.file, "seconds": time.perf_counter() - t0}, failures + [str(exc)], "not re-solved", args.json
        )
    resolved = "not re-solved (--no-resolve)"
    if not args.no_resolve:
        more, resolved = resolved_mask_failures(record, target, random_layers)
        failures += more
    rep = report_for(
        result, target, layer_info(bases, record.channels), record.eps, seed_streams(record.seed)[2], samples, certify
    )
    rep.update(
        {
            "eps": record.eps,
            "seed": record.seed,
            "m": result.m,
            "channels": record.channels,
            "specs": record.specs,
            "file": args.file,
            "seconds": time.perf_counter() - t0,
        }
    )
    saved = record.report
    for key in ("coefficient_error_max", "error_bound", "certified_bound"):
        if saved.get(key) is not None and rep.get(key) is not None:
            rep[f"{key}_matches_saved"] = not report_failures({key: saved[key]}, rep, True, True)
    same_inputs = saved.get("inputs") == samples
    recomputed = certify != "no"
    failures += report_failures(saved, to_jsonable(rep), same_inputs, recomputed)
    failures += check_failures(rep, record.eps, saved.get("certified") is True, recomputed)
    return _finish(rep, failures, resolved, args.json)


def _finish(rep: dict, failures: list, resolved: str, as_json: bool) -> int:
    rep.update({"verified": not failures, "failures": failures, "masks_resolved": resolved})
    if as_json:
        print(json.dumps(to_jsonable(rep), indent=2))
    else:
        if "error_bound" in rep:
            from .cmd_prune import print_report

            print_report(rep, False)
        print_verdict(rep)
    return 0 if not failures else EXIT_FAILED


def print_verdict(rep: dict) -> None:
    print(f"Verification of {rep['file']}")
    print("  random network               regenerated from the saved seed, specs, channels and m; compared bit for bit")
    print(f"  masks                        {rep['masks_resolved']}")
    if rep["failures"]:
        print(f"  FAILED ({len(rep['failures'])}; exit status {EXIT_FAILED}):")
        for line in rep["failures"]:
            print(f"    - {line}")
    else:
        print("  verified: every array, the saved report and the checks agree (exit status 0)")
