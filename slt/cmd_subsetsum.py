"""``slt subsetsum``: solve Subset-Sum problems for one random (or given) sample vector.

    slt subsetsum --n 21 --targets 0.3 -0.7 --eps 0.01 --seed 0 [--method cpsat] [--json]

Draws n samples (``--distribution``, seeded) once and solves one problem per target:
minimise |z - sum_{i in S} a_i|, or reach it within eps. Prints each mask as a 0/1 string
(position i = sample i), the error |z - sum| re-evaluated in float64, and the status.
"""

from __future__ import annotations

import json

import numpy as np


def choices_help(registry: dict, describe) -> str:
    """'name: one line; ...' for a registry's help text (methods or samplers)."""
    return "; ".join(f"{name}: {describe(entry)}" for name, entry in registry.items())


def sampler_line(fn) -> str:
    return (fn.__doc__ or "").strip().splitlines()[0].rstrip(".")


def add_parser(subparsers) -> None:
    from subsetsum import METHODS, SAMPLERS

    p = subparsers.add_parser(
        "subsetsum",
        help=f"solve Subset-Sum problems ({', '.join(METHODS)}) for a random sample vector",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--n", type=int, default=21, help="number of samples (default 21)")
    p.add_argument("--targets", type=float, nargs="+", default=[0.3], metavar="Z", help="target values z (default 0.3)")
    p.add_argument(
        "--eps", type=float, default=None, help="accuracy: stop at |z - sum| <= eps (default: exact optimum)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and of CP-SAT (default 0)")
    p.add_argument(
        "--method",
        choices=list(METHODS),
        default="exact",
        help="default exact; " + choices_help(METHODS, lambda m: m.summary),
    )
    p.add_argument(
        "--distribution",
        choices=list(SAMPLERS),
        default="product",
        help="samples (default product); " + choices_help(SAMPLERS, sampler_line),
    )
    p.add_argument(
        "--samples",
        type=float,
        nargs="+",
        default=None,
        metavar="A",
        help="explicit samples (override --n/--distribution)",
    )
    p.add_argument("--time-limit", type=float, default=None, help="seconds per problem for cpsat/milp (default 60)")
    p.add_argument("--workers", type=int, default=1, help="threads (exact, ktree, auto) or CP-SAT workers (default 1)")
    p.add_argument("--min-cardinality", action="store_true", help="cpsat with --eps: the sparsest subset within eps")
    p.add_argument(
        "--no-adaptive",
        action="store_true",
        help="exact with --eps: solve on all samples (exact optimum) instead of stopping at a prefix",
    )
    p.add_argument(
        "--sup-error",
        action="store_true",
        help="also print the certificate sup_{z in [-1,1]} of the best error for these samples",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def check_flags(args) -> None:
    """Every flag's range, named as on the command line, before anything is drawn or solved."""
    from groups import check_int, check_real

    check_int("--n", args.n, 0)
    check_int("--seed", args.seed, 0, 2**31 - 1)
    check_int("--workers", args.workers, 1)
    if args.eps is not None:
        check_real("--eps", args.eps, 0, None)
    if args.time_limit is not None:
        check_real("--time-limit", args.time_limit, 0, None)
    for flag, values in (("--targets", args.targets), ("--samples", args.samples or [])):
        for i, v in enumerate(values):
            check_real(f"{flag} value {i + 1}", v)


def _samples(args) -> np.ndarray:
    from subsetsum import draw

    if args.samples is not None:
        return np.asarray(args.samples, dtype=np.float64)
    try:
        return draw(args.distribution, (args.n,), args.seed)
    except ValueError as exc:  # the memory check of the draw, named after the flag
        raise ValueError(f"--n {args.n}: {exc}") from None


def run(args) -> int:
    from subsetsum import SUP_ERROR_MAX_N as MAX_N
    from subsetsum import solve, sup_error, sup_error_bound

    check_flags(args)
    a = _samples(args)
    z = np.asarray(args.targets, dtype=np.float64)
    # methods other than exact report rows beyond meet-in-the-middle's cap as "capped"
    res = solve(
        a,
        z,
        eps=args.eps,
        method=args.method,
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        min_cardinality=args.min_cardinality,
        adaptive=not args.no_adaptive,
        on_cap="raise" if args.method == "exact" else "prefix",
    )
    out = {
        "n": int(a.size),
        "nonzero": int(np.count_nonzero(a)),
        "distribution": None if args.samples is not None else args.distribution,
        "seed": args.seed,
        "method": args.method,
        "eps": args.eps,
        "samples": a.tolist(),
        "seconds": res.seconds,
        "problems": [
            {
                "target": float(z[p]),
                "mask": "".join("1" if b else "0" for b in res.masks[p]),
                "selected": np.flatnonzero(res.masks[p]).tolist(),
                "size": int(res.masks[p].sum()),
                "sum": float(res.sums[p]),
                "error": float(res.errors[p]),
                "error_bound": float(res.error_bounds[p]),
                "status": str(res.status[p]),
                "samples_used": int(res.n_used[p]),
                **({"backend_status": str(res.backend_status[p])} if res.backend_status[p] else {}),
            }
            for p in range(len(z))
        ],
    }
    if args.sup_error:
        rows = a[None, :]
        if out["nonzero"] <= MAX_N:
            out["sup_error"], out["sup_error_kind"] = float(sup_error(rows)[0]), "exact"
        else:
            out["sup_error"] = float(sup_error_bound(rows, max_nonzero=24)[0])
            out["sup_error_kind"] = "upper bound (24 largest nonzero samples)"
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    src = "given" if args.samples is not None else f"{args.distribution}, seed {args.seed}"
    print(f"samples (n={out['n']}, {out['nonzero']} nonzero; {src}):")
    print("  " + " ".join(f"{v:+.4f}" for v in a))
    eps = "exact optimum" if args.eps is None else f"eps = {args.eps:g}"
    print(f"method {args.method}, {eps}, {res.seconds * 1e3:.2f} ms")
    width = max(4, a.size)
    print(f"  {'target':>9}  {'mask':<{width}}  {'size':>4}  {'error':>10}  status")
    for p in out["problems"]:
        print(f"  {p['target']:>9.4f}  {p['mask']:<{width}}  {p['size']:>4}  {p['error']:>10.3e}  {p['status']}")
    if args.sup_error:
        print(f"sup over z in [-1, 1] of the best error: {out['sup_error']:.4e} ({out['sup_error_kind']})")
    return 0
