"""``slt basis``: dimension, norm and equivariance of an orbital basis (THEORY.md §1)."""

from __future__ import annotations

import json

import numpy as np

from .family import add_family_args, field_specs


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "basis",
        help="orbital basis of Hom_G between two field types: |B|, ||B||, equivariance",
        description="Compute the exact orbital basis of Hom_G(R^X, R^Y), its dimension |B| (with "
        "an independent Burnside count for small groups), its norm ||B|| = ||sum_k b_k||_op "
        "(exact), and the equivariance error of a random layer built on it.",
    )
    add_family_args(p, network=False)
    p.add_argument(
        "--fields-per-layer",
        type=int,
        default=2,
        metavar="C",
        help="fields in and out of the random layer used for the equivariance check (default 2)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random layer and group elements (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def basis_summary(spec_in: dict, spec_out: dict, fields: int = 2, seed: int = 0) -> dict:
    from constructions import (
        Layer,
        basis_from_specs,
        basis_norm,
        burnside_count,
        network_equivariance_error,
        random_coefficients,
    )
    from groups import check_int

    fields, seed = check_int("--fields-per-layer", fields, 1), check_int("--seed", seed, 0)
    basis = basis_from_specs(spec_in, spec_out)
    rng = np.random.default_rng(seed)
    layer = Layer(basis, random_coefficients(basis, fields, fields, rng))
    order = basis.action_in.order
    small = basis.shape[0] * basis.shape[1] <= 2_000_000 and (order is None or order <= 20_000)
    return {
        "group": basis.action_in.group,
        "group_order": order,
        "field_in": basis.action_in.name,
        "field_out": basis.action_out.name,
        "in_size": basis.shape[1],
        "out_size": basis.shape[0],
        "basis_dim": basis.dim,
        "burnside_dim": burnside_count(basis) if small else None,
        "basis_norm": basis_norm(basis),
        "equivariance_error": network_equivariance_error(layer, rng=rng),
        "spec_in": spec_in,
        "spec_out": spec_out,
    }


def run(args) -> int:
    spec_in, spec_out = field_specs(args, 2)
    out = basis_summary(spec_in, spec_out, args.fields_per_layer, args.seed)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    order = out["group_order"]
    burn = out["burnside_dim"]
    print(f"group              {out['group']}" + (f"  (|G| = {order})" if order else ""))
    print(f"input field        {out['field_in']}  (|X| = {out['in_size']})")
    print(f"output field       {out['field_out']}  (|Y| = {out['out_size']})")
    print(
        f"basis dimension    {out['basis_dim']}  (orbits of G on the support, union-find)"
        + (f"; Burnside count {burn}" if burn is not None else "; Burnside count skipped (large group)")
    )
    print(f"basis norm ||B||   {out['basis_norm']:.12g}  (exact: ||sum_k b_k||_op by orbit reduction)")
    print(
        f"equivariance error {out['equivariance_error']:.2e}  (measured: max relative error of a random "
        f"{args.fields_per_layer}->{args.fields_per_layer}-field layer, float64)"
    )
    return 0
