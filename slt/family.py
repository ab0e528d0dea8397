"""Family flags shared by ``slt basis``, ``slt width`` and ``slt prune``.

Turns command-line flags into field specs: plain dicts described in DESIGN.md, one per
layer boundary (input of layer 1, output of layer 1 = input of layer 2, ...), validated by
`groups.field_type` (the one validation every package uses). This module checks that the
flags make sense for the chosen family and fills the command line's defaults below; the
families and their help come from the registry `groups.FAMILIES`.
"""

from __future__ import annotations

import argparse

from groups import FAMILIES, field_type

#: smallest --eps / --delta of a network command: below it the per-coefficient accuracy
#: eps'_i = eps / (2 l sqrt(pi_i n_{i-1} n_i) ||B_i||) of a large network underflows float64
EPS_MIN = 1e-300

DEFAULTS = {"grid": 8, "kernel": 3, "group": "C4", "field": "regular", "subgroup": "S"}
LATTICE_FLAGS = ("grid", "kernel")
FLAGS_BY_FAMILY = {
    "mlp": (),
    "cnn": ("grid", "kernel"),
    "steerable": ("grid", "kernel", "group", "field", "field_in", "field_out", "fields"),
    "perm": ("n", "orders", "subgroup"),
}


def add_family_args(parser: argparse.ArgumentParser, network: bool = False) -> None:
    """Register the family flags on ``parser``.

    With ``network=True`` (width/prune) fields may be given per layer boundary with
    ``--fields`` and tensor orders with ``--orders k0 k1 ... kl``; otherwise (basis) the
    input/output pair is given by ``--field-in/--field-out`` or ``--orders K L``.
    """
    g = parser.add_argument_group("family (field types; see DESIGN.md)")
    g.add_argument(
        "--family",
        choices=tuple(FAMILIES),
        required=True,
        help="; ".join(f"{f.name}: {f.help}" for f in FAMILIES.values()),
    )
    g.add_argument("--grid", type=int, metavar="M", help="torus side m (cnn, steerable; default 8)")
    g.add_argument("--kernel", type=int, metavar="K", help="kernel size k (cnn, steerable; default 3)")
    g.add_argument(
        "--group", metavar="H", help="point group H: C1 C2 C4 D1 D2 D4 (square), C3 C6 D3 D6 (hexagonal); default C4"
    )
    g.add_argument("--field", metavar="F", help="field type: regular | trivial | quotient:K | point (default regular)")
    if network:
        g.add_argument(
            "--fields", nargs="+", metavar="F", help="field type per layer boundary (one per --channels entry)"
        )
    else:
        g.add_argument("--field-in", metavar="F", help="input field type (default --field)")
        g.add_argument("--field-out", metavar="F", help="output field type (default --field)")
    g.add_argument("--n", type=int, metavar="N", help="number of points n of S_n (perm)")
    g.add_argument(
        "--orders",
        type=int,
        nargs="+",
        metavar="K",
        help="tensor orders: one for all boundaries, or one per boundary "
        + ("(k0 k1 ... kl)" if network else "(K L: input, output)"),
    )
    g.add_argument(
        "--subgroup",
        metavar="S",
        help="S | A | C | D or generators in 1-based cycle notation, e.g. '(1 2),(1 2 3)' (default S)",
    )


def _given(args, name):
    return getattr(args, name, None) is not None


def field_specs(args: argparse.Namespace, boundaries: int) -> list[dict]:
    """One validated field spec per layer boundary (``boundaries`` = depth + 1)."""
    return [field_type(spec).to_spec() for spec in _flag_specs(args, boundaries)]


def _flag_specs(args: argparse.Namespace, boundaries: int) -> list[dict]:
    if boundaries < 2:
        raise ValueError(f"a network needs at least 2 layer boundaries (got {boundaries})")
    family = args.family
    allowed = FLAGS_BY_FAMILY[family]
    for name in ("grid", "kernel", "group", "field", "field_in", "field_out", "fields", "n", "orders", "subgroup"):
        if _given(args, name) and name not in allowed:
            flag = "--" + name.replace("_", "-")
            raise ValueError(
                f"{flag} does not apply to --family {family} "
                f"(it applies to: {', '.join(f for f, fl in FLAGS_BY_FAMILY.items() if name in fl)})"
            )
    if family == "mlp":
        return [{"family": "mlp"} for _ in range(boundaries)]
    if family in ("cnn", "steerable"):
        base = {
            "family": family,
            "grid": args.grid if _given(args, "grid") else DEFAULTS["grid"],
            "kernel": args.kernel if _given(args, "kernel") else DEFAULTS["kernel"],
        }
        if family == "cnn":
            return [dict(base) for _ in range(boundaries)]
        base["group"] = args.group if _given(args, "group") else DEFAULTS["group"]
        default = args.field if _given(args, "field") else DEFAULTS["field"]
        fields = [default] * boundaries
        if _given(args, "fields"):
            if _given(args, "field"):
                raise ValueError("--field and --fields both given: --fields sets every layer boundary; use one")
            if len(args.fields) not in (1, boundaries):
                raise ValueError(
                    f"--fields takes 1 or {boundaries} values (one per --channels entry), got {len(args.fields)}"
                )
            fields = list(args.fields) * (boundaries if len(args.fields) == 1 else 1)
        if _given(args, "field_in"):
            fields[0] = args.field_in
        if _given(args, "field_out"):
            fields[-1] = args.field_out
        return [dict(base, field=f) for f in fields]
    # perm
    if not _given(args, "n"):
        raise ValueError("--family perm needs --n N (the number of points of S_n)")
    orders = args.orders if _given(args, "orders") else [1]
    if len(orders) not in (1, boundaries):
        raise ValueError(f"--orders takes 1 or {boundaries} values, got {len(orders)}")
    orders = list(orders) * (boundaries if len(orders) == 1 else 1)
    subgroup = args.subgroup if _given(args, "subgroup") else DEFAULTS["subgroup"]
    return [{"family": "perm", "n": args.n, "order": k, "subgroup": subgroup} for k in orders]


def check_probability(flag: str, value) -> float:
    """``--eps`` or ``--delta`` of a network command: a number in [EPS_MIN, 1)."""
    from groups import check_real

    return check_real(flag, value, EPS_MIN, 1, low_open=False)
