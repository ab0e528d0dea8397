"""``slt experiment digits|ign|mpnn|pensia``: train a target, prune a random network to it, report.

Each experiment trains a bias-free equivariant classifier on real (offline) data, rescales
it to the theorem's setting (||W_i||_op <= 1, unit-norm inputs), then prunes random
overparameterised networks of several widths m (no training of the random network) and
writes labelled tables (CSV, LaTeX, JSON) and a figure (accuracy vs m, one- and two-column
widths) under --out. A progress bar is drawn on stderr when it is a terminal (not with --json).
"""

from __future__ import annotations

import json

from .executors import add_executor_argument, open_executor, parse_executor


def add_parser(subparsers) -> None:
    from slt.experiments import EXPERIMENTS

    p = subparsers.add_parser(
        "experiment", help="end-to-end experiments: pruned random vs trained networks", description=__doc__
    )
    p.add_argument("name", metavar="NAME", help=f"experiment: {' | '.join(EXPERIMENTS)}")
    p.add_argument("--quick", action="store_true", help="small configuration (under 2 minutes)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output directory, checked writable before anything runs (default, relative to the working "
        "directory: reports/experiments for the full configuration, reports/quick/experiments with "
        "--quick, so a quick run never overwrites the committed full results)",
    )
    p.add_argument("--json", action="store_true", help="print the full result as JSON on stdout")
    add_executor_argument(p)
    p.add_argument(
        "--data",
        default=None,
        metavar="DIR",
        help="pensia only: directory with the MNIST IDX files (train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz); "
        "default: scikit-learn's bundled digits upsampled to 28x28",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from constructions import check_output_dir
    from groups import check_int
    from slt.experiments import DEFAULT_OUT, check_name, run_experiment

    name = check_name(args.name)
    check_int("--seed", args.seed, 0)
    if args.data is not None and name != "pensia":
        raise ValueError(f"--data is only for the pensia experiment (MNIST IDX files), not {name}")
    parse_executor(args.executor)
    quick_out = DEFAULT_OUT.parent / "quick" / DEFAULT_OUT.name  # reports/quick/experiments, like reproduce
    out = args.out if args.out is not None else (quick_out if args.quick else DEFAULT_OUT)
    out = check_output_dir(out, "--out", parents=args.out is None)
    with open_executor(args.executor) as executor:
        result = run_experiment(
            name,
            quick=args.quick,
            seed=args.seed,
            out=out,
            progress=not args.json,
            executor=executor,
            config=None if args.data is None else {"data": args.data},
        )
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        print_summary(result)
    return 0


def print_summary(result: dict) -> None:
    print(f"experiment {result['experiment']} (seed {result['seed']}{', quick' if result['quick'] else ''})")
    for row in result.get("models", []):
        accs = ", ".join(
            f"{k[len('accuracy_') :]} {100 * v:.2f} %" for k, v in row.items() if k.startswith("accuracy_")
        )
        print(f"  trained {row['model']}: {accs}")
    for s in result["studies"]:
        b = s["bound_row"]
        print(f"  {s['model']}: target accuracy {100 * s['target_accuracy']:.2f} % (measured), eps = {s['eps']:.3e}")
        bm = s["bound"]["m"]
        label = s["bound"].get("label") or "n/a"
        print(f"    Theorem 1 m per layer ({label}): {bm if bm is not None else s['bound']['note']}")
        for r in s["rows"]:
            print(
                f"    {r['kind']:<15} m = {'/'.join(map(str, r['m_per_layer'])):<16} pruned accuracy "
                f"{100 * r['accuracy']:6.2f} %  agreement {100 * r['agreement']:6.2f} %  max output error "
                f"{r['output_error_max']:.2e}  kept/random {r['kept_params']:,}/{r['random_params']:,}  "
                f"Subset-Sum {r['subset_sum_seconds']:.1f} s  equivariance error {r['equivariance_error']:.1e}"
            )
        for r in s["rows"]:
            if r["kind"] == "Pensia-style":
                print(
                    f"    Pensia-style: {r['weights_within_eps']:,} of {r['target_params']:,} weights within "
                    f"{r['coefficient_eps'][0]} ({r['subset_sum_problems']:,} Subset-Sum problems); data, "
                    f"training and this pruning {result['pensia_style_total_seconds']:.1f} s"
                )
        if b is not None and b.get("capped"):
            print(f"    (the bound's m was capped at {s['m_cap']}: {s['cap_reason']})")
        if s["bound"].get("extrapolated"):
            print(f"    note: {s['bound']['note']}")
        print(f"    first swept m within 0.5 pp of the target: {s['m_first_match']}")
    print("files:")
    for f in result["files"]:
        print(f"  {f}")
