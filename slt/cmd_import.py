"""``slt import-weights WEIGHTS.npz --family ... --channels ... --out target.npz``: trained dense
weights (PyTorch layouts) -> orbital coefficients of a target network for ``slt prune --target``.

Layer i is read from the array ``layer_i`` (or the i-th key given to ``--names``, e.g. the
keys of a state_dict saved with ``np.savez``): a Conv2d weight (C_out |F_out|, C_in |F_in|,
k, k) with circular padding for lattice -> lattice layers, else the dense (out, in) matrix
on the flattened features (lattice -> point readouts may also be given pooled: (out,
C_in |F_in|), after sum pooling over the pixels). Each is projected on the orbital basis
(the coefficient of an orbit is the mean of its entries); the relative non-equivariant
residual ||W - P W||_F / ||W||_F is reported, and a layer above --tolerance is refused
unless --project is given (then its projection is kept).
"""

from __future__ import annotations

import json
import time

import numpy as np

from .family import add_family_args, field_specs
from .jsonio import to_jsonable
from .paths import check_not_input

DEFAULT_TOLERANCE = 1e-5


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "import-weights",
        help="trained dense weights (PyTorch layouts) -> a target network",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("weights", metavar="WEIGHTS.npz", help="arrays layer_1 ... layer_l (or the keys of --names)")
    add_family_args(p, network=True)
    p.add_argument(
        "--channels", type=int, nargs="+", required=True, metavar="N", help="fields per layer boundary n0 n1 ... nl"
    )
    p.add_argument(
        "--names",
        nargs="+",
        metavar="KEY",
        help="array names of layers 1 ... l, in order (e.g. conv1.weight conv2.weight fc.weight)",
    )
    p.add_argument("--out", required=True, metavar="TARGET.npz", help="target file for `slt prune --target`")
    p.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"largest accepted relative non-equivariant residual per layer (default {DEFAULT_TOLERANCE:g})",
    )
    p.add_argument(
        "--project",
        action="store_true",
        help="accept layers above --tolerance: keep their orbital projection (reported)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_import)


def _layer_names(args, depth: int) -> list:
    if not args.names:
        return [f"layer_{i}" for i in range(1, depth + 1)]
    if len(args.names) != depth:
        raise ValueError(
            f"--names takes one array name per layer ({depth} for --channels of length {depth + 1}), "
            f"got {len(args.names)}"
        )
    return list(args.names)


def _check_biases(arrays: dict, names: list) -> None:
    """The toolkit's networks are bias-free: a nonzero bias next to an imported weight is an error."""
    for name in names:
        bias = name[: -len("weight")] + "bias" if name.endswith("weight") else None
        if bias in arrays and np.any(np.asarray(arrays[bias]) != 0):
            raise ValueError(
                f"{bias} is nonzero, but the networks of the theorem (and of this toolkit) have no "
                f"biases: train with bias=False, or zero it if that is what you mean"
            )


def run_import(args) -> int:
    from constructions import check_writable, layout, orbital_projection, read_npz, save_target

    from .cmd_prune import build_bases, check_channels

    t0 = time.perf_counter()
    channels = check_channels(args.channels)
    if not (np.isfinite(args.tolerance) and args.tolerance >= 0):
        raise ValueError(f"--tolerance must be a number >= 0, got {args.tolerance}")
    check_writable(args.out, "--out")
    check_not_input("--out", args.out, {"weights file": args.weights})
    specs = field_specs(args, len(channels))
    names = _layer_names(args, len(channels) - 1)
    arrays = read_npz(args.weights, "weights file")
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ValueError(
            f"weights file {args.weights!r} has no array {missing[0]!r}; it holds "
            f"{', '.join(sorted(arrays)[:12])}{' ...' if len(arrays) > 12 else ''} (use --names)"
        )
    extra = sorted(k for k in arrays if k.startswith("layer_") and k not in names)
    if extra and not args.names:
        raise ValueError(
            f"weights file {args.weights!r} also holds {', '.join(extra)}, but --channels describes "
            f"{len(names)} layers: give every layer's width (or --names to pick arrays)"
        )
    _check_biases(arrays, names)
    bases = build_bases(specs)
    coeffs, rows = [], []
    for i, (b, name) in enumerate(zip(bases, names)):
        lay = layout(b, channels[i], channels[i + 1], specs[i], specs[i + 1])
        c, resid = orbital_projection(
            b, arrays[name], channels[i], channels[i + 1], name=f"layer {i + 1} ({name})", spec_in=specs[i]
        )
        coeffs.append(c)
        rows.append(
            {
                "layer": i + 1,
                "name": name,
                "kind": lay["kind"],
                "shape": list(np.shape(arrays[name])),
                "basis_dim": int(b.dim),
                "residual": resid,
                "accepted": resid <= args.tolerance,
            }
        )
    bad = [r for r in rows if not r["accepted"]]
    if bad and not args.project:
        raise ValueError(
            "not equivariant: "
            + "; ".join(
                f"layer {r['layer']} ({r['name']}) relative non-equivariant residual {r['residual']:.3e}" for r in bad
            )
            + f" > --tolerance {args.tolerance:g} (pass --project to keep the orbital projection)"
        )
    save_target(
        args.out,
        coeffs,
        specs,
        source=str(args.weights),
        names=names,
        residuals=[r["residual"] for r in rows],
        tolerance=args.tolerance,
        projected=bool(bad),
    )
    out = {
        "weights": args.weights,
        "out": args.out,
        "specs": specs,
        "channels": channels,
        "layers": rows,
        "projected": bool(bad),
        "tolerance": args.tolerance,
        "seconds": time.perf_counter() - t0,
    }
    print_import(out, args.json)
    return 0


def print_import(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(to_jsonable(out), indent=2))
        return
    print(f"imported {out['weights']}: channels {out['channels']}")
    print("  layer  array                    kind    weight shape              |B|   relative residual")
    for r in out["layers"]:
        flag = "" if r["accepted"] else "   above --tolerance: PROJECTED"
        print(
            f"  {r['layer']:>5}  {r['name']:<24} {r['kind']:<7} {str(tuple(r['shape'])):<25} {r['basis_dim']:>4}   "
            f"{r['residual']:.3e}{flag}"
        )
    print(
        f"residual = ||W - P W||_F / ||W||_F, P the orbit-mean projection (measured; accepted up to "
        f"{out['tolerance']:g})"
    )
    print(
        f"written to {out['out']} in {out['seconds']:.2f} s (prune it with: slt prune --target {out['out']} "
        f"and the same family flags)"
    )
