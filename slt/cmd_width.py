"""``slt width``: how wide must the random network be? (Theorem 1, Theorem 2; THEORY §3-§4).

    slt width --family mlp --channels 784 500 10 --eps 0.01
    slt width --family steerable --group D4 --kernel 5 --channels 3 16 16 --eps 0.01 --C 3 --latex
    slt width --family perm --n 10 --orders 2 2 1 --channels 1 8 1 --solve-eps --width 2000 --json

Prints per target layer n_in, n_out, |B|, ||B||, the sign paths solved (2 in layer 1, 1
after), the per-instance precision eps'_i and failure probability delta''_i, the proven
floor m_floor, m (samples per input field) in the separable form and in the paper's
one-constant form, the intermediate width ñ = n_in m, the random parameters, the Theorem 2
lower bound and the tightness ratio; the totals of both forms; and the formula (SymPy
pretty print, or LaTeX). Every number carries its label: "proven given C" (--C), "proven
given a, b, c" (--abc), "calibrated" (shipped fit, inside its measured ranges),
"extrapolated" (shipped fit, outside them) or "proven".
"""

from __future__ import annotations

import json

import sympy as sp

import bounds
from bounds import check_channels, formula_expr, latex, pretty
from groups import check_int, check_real
from slt.family import add_family_args, check_probability, field_specs


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "width",
        help="width of the random network needed for a target eps (Theorem 1) and the lower bound (Theorem 2)",
        description=__doc__.split("\n\n")[0],
    )
    add_family_args(p, network=True)
    p.add_argument(
        "--channels",
        type=int,
        nargs="+",
        required=True,
        metavar="N",
        help="fields per layer boundary n0 n1 ... nl (depth l = number of values - 1)",
    )
    p.add_argument("--eps", type=float, help="target accuracy eps in (0, 1) (sup over the unit ball)")
    p.add_argument("--delta", type=float, default=0.01, help="failure probability delta in (0, 1) (default 0.01)")
    p.add_argument(
        "--C",
        type=float,
        dest="C",
        metavar="C",
        help="the Subset-Sum constant C (numbers are then 'proven given C'); "
        "default: the calibrated value shipped with the package ('calibrated')",
    )
    p.add_argument(
        "--c0", type=float, metavar="C0", help="additive constant with --C: m = C ln(2/eps'') + c0 (default 0)"
    )
    p.add_argument(
        "--abc",
        type=float,
        nargs=3,
        metavar=("A", "B", "C"),
        help="the separable requirement m = A log2(1/eps'') + B ln(1/delta'') + C (numbers are then "
        "'proven given a, b, c'); default: the calibrated fit",
    )
    p.add_argument(
        "--solve-eps", action="store_true", help="inverse question: the smallest eps whose required width is <= --width"
    )
    p.add_argument("--width", type=int, metavar="W", help="width budget max_i ñ_i for --solve-eps")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--latex", action="store_true", help="print the formula as LaTeX (ready to paste)")
    p.set_defaults(func=run)


def _show(expr, sizes: dict) -> str:
    """A closed form as text; of a Piecewise only the branch that applies at these sizes."""
    if isinstance(expr, sp.Piecewise):
        for value, cond in expr.args:
            if cond == sp.true or bool(cond.subs(sizes)):
                return sp.sstr(value) + ("" if cond == sp.true else f"  (case {sp.sstr(cond)})")
    return sp.sstr(expr)


def _closed_form_rows(specs: list[dict]) -> list[dict]:
    rows = []
    for i in range(1, len(specs)):
        a, b = specs[i - 1], specs[i]
        rows.append(
            {
                "basis_dim": bounds.basis_dim_expr(a, b),
                "basis_norm": bounds.basis_norm_expr(a, b),
                "hidden_basis_dim": bounds.basis_dim_expr(a, a),
                "kind": bounds.closed_form_kind(a, b),
                "sizes": bounds.sizes(a, b),
                "hidden_sizes": bounds.sizes(a, a),
            }
        )
    return rows


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}" if x != int(x) or abs(x) >= 1e6 else str(int(x))
    return str(x)


def _m_cell(row: dict, name: str) -> str:
    if f"m_{name}" not in row:
        return "-"
    flag = ""
    if name == "separable" and (row.get("extrapolated_eps") or row.get("extrapolated_delta")):
        flag = " x" + ("e" if row.get("extrapolated_eps") else "") + ("d" if row.get("extrapolated_delta") else "")
    elif name == "one_constant" and row.get("extrapolated_one_constant"):
        flag = " x"
    low = " <floor" if "m_floor" in row and row[f"m_{name}"] < row["m_floor"] else ""
    return f"{row[f'm_{name}']}{flag}{low}"


def _table(result: dict) -> str:
    head = [
        "layer",
        "n_in",
        "n_out",
        "|B|",
        "||B||",
        "paths",
        "eps'",
        "delta''",
        "m_floor",
        "m separable",
        "m one-C",
        "width ñ",
        "random params",
        "lower bound",
        "ratio",
    ]
    rows = [
        [
            str(i),
            str(r["n_in"]),
            str(r["n_out"]),
            str(r["basis_dim"]),
            _fmt(r["basis_norm"]),
            str(r["paths"]),
            f"{r['eps_pp']:.3g}",
            f"{r['delta_pp']:.3g}",
            str(r.get("m_floor", "-")),
            _m_cell(r, "separable"),
            _m_cell(r, "one_constant"),
            str(r["width"]),
            str(r["random_params"]),
            str(r["lower_bound_params"]),
            _fmt(r["tightness_ratio"]),
        ]
        for i, r in enumerate(result["layers"], 1)
    ]
    rows.append(
        [
            "total",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            str(result["width"]) + " (max)",
            str(result["total_random_params"]),
            str(result["total_lower_bound_params"]),
            _fmt(result["tightness_ratio"]),
        ]
    )
    widths = [max(len(row[j]) for row in [head] + rows) for j in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [head] + rows)


def run(args) -> int:
    if args.solve_eps:
        if args.width is None:
            raise ValueError("--solve-eps needs --width W (the width budget max_i ñ_i)")
        if args.eps is not None:
            raise ValueError("--solve-eps computes eps: do not pass --eps")
        check_int("--width", args.width, 1)
    else:
        if args.width is not None:
            raise ValueError("--width W is the budget of --solve-eps; pass --solve-eps (or drop --width)")
        if args.eps is None:
            raise ValueError("--eps E is required (or --solve-eps --width W)")
        check_probability("--eps", args.eps)
    check_probability("--delta", args.delta)
    try:
        channels = check_channels(args.channels)
    except ValueError as exc:
        raise ValueError(f"--channels: {exc}") from None
    if args.c0 is not None and args.C is None:
        raise ValueError("--c0 needs --C (without --C the calibrated separable requirement is used)")
    if args.C is not None:
        check_real("--C", args.C, 0, None)
    if args.c0 is not None:
        check_real("--c0", args.c0)
    specs = field_specs(args, len(channels))
    layers = bounds.layers_from_specs(specs, channels)
    eps = bounds.best_eps(layers, args.width, args.delta, args.C, args.c0, abc=args.abc) if args.solve_eps else args.eps
    result = bounds.network_width(layers, eps, args.delta, args.C, args.c0, abc=args.abc)
    closed = _closed_form_rows(specs)
    affine = bool(result["c0"]) and result["form"] == "one_constant"
    family_formula = bounds.family_formula_expr(closed, affine, result["form"] == "separable")
    result.update(
        {
            "family": args.family,
            "channels": channels,
            "specs": specs,
            "closed_forms": [
                {
                    "basis_dim": str(c["basis_dim"]),
                    "basis_norm": str(c["basis_norm"]),
                    "hidden_basis_dim": str(c["hidden_basis_dim"]),
                    "kind": c["kind"],
                }
                for c in closed
            ],
            "family_formula_latex": (r"\tilde n_i = " + latex(family_formula.rhs))
            if family_formula is not None
            else None,
        }
    )
    if args.solve_eps:
        result["width_budget"] = args.width
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    _print_text(args, result, closed, family_formula, affine)
    return 0


def _constants_text(result: dict) -> list[str]:
    """One line per form: its constants and where they come from."""
    lines = []
    sep, one = result["separable"], result["one_constant"]
    if sep is not None:
        where = (
            "given by the user (--abc)"
            if sep["source"] == "user"
            else f"calibrated by `slt calibrate` on eps'' in [{sep['eps_range'][0]:g}, {sep['eps_range'][1]:g}], "
            f"delta'' in [{sep['delta_range'][0]:g}, {sep['delta_range'][1]:g}]"
        )
        lines.append(
            f"separable:    m = {sep['a']:.4g} log2(1/eps') + {sep['b']:.4g} ln(1/delta'') + {sep['c']:.4g}"
            f"  ({where})  [{result['label_separable']}]"
        )
    if one is not None:
        where = (
            "given by the user (--C)"
            if one["C_source"] == "user"
            else f"calibrated on min(eps'', delta'') in [{one['eps_pp_range'][0]:g}, {one['eps_pp_range'][1]:g}]"
        )
        lines.append(
            f"one constant: m = {one['C']:.4g} ln(2/min(eps', delta'')) + {one['c0']:.4g}  (the paper's "
            f"form; {where})  [{result['label_one_constant']}]"
        )
    return lines


def _print_text(args, result: dict, closed: list[dict], family_formula, affine: bool) -> None:
    label = result["layers"][0]["label"] if len(result["layers"]) == 1 else result[f"label_{result['form']}"]
    print(
        f"slt width: family {args.family}, channels {' '.join(map(str, result['channels']))}, "
        f"depth l = {result['depth']}, eps = {result['eps']:.6g}, delta = {result['delta']:g}"
    )
    for line in _constants_text(result):
        print(line)
    print(
        f"the {'separable' if result['form'] == 'separable' else 'one-constant'} form gives the widths below "
        f"(m, width ñ, random params); x = extrapolated (xe: eps', xd: delta'' outside the calibrated range); "
        f"m_floor = proven floor of any constant (counting and edge events at eps', delta''; proven)"
    )
    if args.solve_eps:
        print(f"\nsmallest eps whose required width is <= {args.width}: eps = {result['eps']:.6g}  [{label}]")
    print()
    print(_table(result))
    print()
    print(f"width of the random network (max_i ñ_i): {result['width']}  [{label}]")
    for name, title in (("separable", "separable form"), ("one_constant", "one-constant form")):
        if f"width_{name}" in result:
            ratio = result[f"tightness_ratio_{name}"]
            print(
                f"  {title:<18} width {result[f'width_{name}']}, random parameters "
                f"{result[f'total_random_params_{name}']}, tightness ratio "
                f"{'-' if ratio is None else f'{ratio:.4g}'}  [{result[f'label_{name}']}]"
            )
    print(f"random parameters: {result['total_random_params']}  [{label}]")
    print(
        f"lower bound (Theorem 2): {result['total_lower_bound_params']}  [proven per layer; total = "
        f"sum of the per-layer bounds at the same eps]"
    )
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    if result["tightness_ratio"] is not None:
        print(f"tightness ratio (random params / lower bound): {result['tightness_ratio']:.4g}  [{label}]")
    if "paper_width" in result["layers"][0]:
        paper = ", ".join(str(r["paper_width"]) for r in result["layers"])
        shape = "Pensia et al. (2020) Theorem 1" if args.family == "mlp" else "the paper's shorter form"
        print(
            f"{shape}: ñ_i = C n_(i-1) ln(l n_(i-1) n_i max(|B_i|, ||B_i||) / min(eps, delta)) "
            f"= {paper} with the same C"
        )
    print("\nclosed forms (sizes: k kernel, m grid, n points, k_in/k_out tensor orders):")
    for i, c in enumerate(closed, 1):
        kind = "" if c["kind"] == "closed form" else f"  ({c['kind']})"
        sizes = ", ".join(f"{k} = {v}" for k, v in c["sizes"].items())
        print(f"  layer {i}{' (' + sizes + ')' if sizes else ''}{kind}:")
        print(f"    |B_i| = {_show(c['basis_dim'], c['sizes'])}")
        print(f"    ||B_i|| = {_show(c['basis_norm'], c['sizes'])}")
        differ = ", ".join(f"{k} = {v}" for k, v in c["hidden_sizes"].items() if c["sizes"].get(k) != v)
        print(
            f"    |B_(X->X)| = {_show(c['hidden_basis_dim'], c['hidden_sizes'])}  (first random layer, "
            f"X_(i-1) -> X_(i-1){', ' + differ if differ else ''})"
        )
    print(
        "\nTheorem 1, explicit constants (eps_l = eps/(2l), delta_l = delta/l; π_i = 2 for i = 1, 1 after; "
        "constants symbolic; log = ln):"
    )
    if args.latex:
        print(result["formula_latex"])
        if result["family_formula_latex"]:
            print(f"% with the closed forms of --family {args.family}:")
            print(result["family_formula_latex"])
    else:
        print(pretty(formula_expr(affine, result["form"] == "separable")))
        if family_formula is not None:
            print(f"\nwith the closed forms of --family {args.family}:")
            print(pretty(family_formula))
