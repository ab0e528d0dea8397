"""Theorem 1 and Theorem 2 for a whole network: the structure printed by ``slt width``.

A network is a list of layers, each a dict with n_in, n_out, basis_dim (|B_i|),
basis_norm (||B_i||) and hidden_basis_dim (|B_{X_{i-1} -> X_{i-1}}|, the basis of the
first random layer). `layers_from_specs` builds it from field specs with the closed forms;
the pruning construction builds it from its computed bases.

Labels: widths and random parameters are "proven given C" when the user passes C (Theorem
1 is proven for the universal constant C of the random Subset-Sum lemma) and "calibrated"
with the shipped empirical C; lower bounds are proven (Theorem 2, no constant). Since the
construction approximates each layer within eps/(2l) <= eps with probability >= 1 - delta
>= 1/2, a valid C can never give fewer random parameters than the lower bound: when it
does, ``warnings`` says that this C is too small.
"""

from __future__ import annotations

import sympy as sp

from groups import check_compatible

from . import symbols as S
from . import theorem1 as T1
from . import theorem2 as T2
from .calibration import CALIBRATION_PATH, resolve_constants, resolve_separable
from .closed_forms import basis_dim, basis_norm
from .floors import m_floor
from .validate import check_channels, check_delta, check_eps, check_positive_int, check_positive_real

LAYER_KEYS = ("n_in", "n_out", "basis_dim", "basis_norm", "hidden_basis_dim")
TOTAL_LOWER_LABEL = (
    "sum over layers of the per-layer Theorem 2 bound at the same eps "
    "(each target layer approximated to eps on its own); proven per layer, "
    "not a lower bound for the whole network"
)
WIDTH_DEFINITION = "width of the random network = max_i ñ_i (its widest layer)"


def layers_from_specs(specs: list[dict], channels: list[int]) -> list[dict]:
    """Layers for `network_width` from one field spec and one channel count per boundary."""
    channels = check_channels(channels)
    if len(specs) != len(channels):
        raise ValueError(
            f"need one field spec per channel entry: {len(specs)} specs for {len(channels)} channels {channels}"
        )
    layers = []
    for i in range(1, len(specs)):
        check_compatible(specs[i - 1], specs[i], where=f"layer {i}: boundary {i - 1} -> {i}")
        layers.append(
            {
                "n_in": channels[i - 1],
                "n_out": channels[i],
                "basis_dim": basis_dim(specs[i - 1], specs[i]),
                "basis_norm": basis_norm(specs[i - 1], specs[i]),
                "hidden_basis_dim": basis_dim(specs[i - 1], specs[i - 1]),
            }
        )
    return layers


def check_layers(layers) -> list[dict]:
    layers = list(layers)
    if not layers:
        raise ValueError("depth l must be >= 1: got an empty list of layers")
    for i, layer in enumerate(layers, 1):
        missing = [k for k in LAYER_KEYS if k not in layer]
        if missing:
            raise ValueError(f"layer {i} lacks the keys {missing} (needs {', '.join(LAYER_KEYS)})")
        for key in ("n_in", "n_out", "basis_dim", "hidden_basis_dim"):
            check_positive_int(layer[key], f"layer {i} {key}")
        check_positive_real(layer["basis_norm"], f"layer {i} basis_norm")
        if i > 1 and layers[i - 2]["n_out"] != layer["n_in"]:
            raise ValueError(
                f"layer {i - 1} has n_out = {layers[i - 2]['n_out']} but layer {i} has n_in = {layer['n_in']}"
            )
    return layers


def formula_expr(affine: bool, separable: bool = False):
    """ñ_i as a SymPy equation (separable, or one constant with + c_0 for the calibrated affine fit)."""
    return sp.Eq(sp.Symbol("ñ_i"), T1.theorem1_width_expr(affine, separable))


def formula_latex(affine: bool, separable: bool = False) -> str:
    return r"\tilde n_i = " + S.latex(T1.theorem1_width_expr(affine, separable))


def _forms(C, c0, abc) -> tuple:
    """(separable constants, one-constant constants, primary form): the user's constants where
    given ('proven given ...'), the shipped calibration otherwise (None if it is not shipped
    and not needed). The separable form is the primary one unless only C is given."""
    if c0 is not None and C is None:
        raise ValueError(f"c0 = {c0} given without C: pass both, or neither to use the calibrated fit")
    primary = "one_constant" if C is not None and abc is None else "separable"
    sep = one = None
    if abc is not None or primary == "separable":
        sep = resolve_separable(abc)
    elif CALIBRATION_PATH.exists():
        sep = resolve_separable()
    if C is not None or CALIBRATION_PATH.exists():
        one = resolve_constants(C, c0)
    return sep, one, primary


def _outside(value: float, bounds_range) -> bool | None:
    return None if bounds_range is None else not bounds_range[0] <= value <= bounds_range[1]


def _layer_row(layer: dict, i: int, eps: float, delta: float, depth: int, sep, one, floors: bool) -> dict:
    """One layer of `network_width`: both forms, the proven floor, the ranges."""
    args = (
        layer["n_in"],
        layer["n_out"],
        layer["basis_dim"],
        layer["basis_norm"],
        layer["hidden_basis_dim"],
        eps,
        delta,
        depth,
    )
    split = T1.theorem1_split(*args[:4], eps, delta, depth, T1.paths(i))
    row = {key: layer[key] for key in LAYER_KEYS}
    row.update(split)
    row["eps_pp_one_constant"] = min(split["eps_pp"], split["delta_pp"])
    row["lower_bound_params"] = T2.lower_bound(layer["n_in"], layer["n_out"], layer["basis_dim"], eps)
    for name, const in (("separable", sep), ("one_constant", one)):
        if const is None:
            continue
        if name == "separable":
            r = T1.theorem1_layer_separable(*args, const["a"], const["b"], const["c"], paths=split["paths"])
            row["extrapolated_eps"] = _outside(split["eps_pp"], const["eps_range"])
            row["extrapolated_delta"] = _outside(split["delta_pp"], const["delta_range"])
            out = row["extrapolated_eps"] or row["extrapolated_delta"]
        else:
            r = T1.theorem1_layer(*args, const["C"], const["c0"], paths=split["paths"])
            out = _outside(row["eps_pp_one_constant"], const["eps_pp_range"])
            row["paper_width"] = T1.paper_width(*args[:4], eps, delta, depth, const["C"])
        row.update(
            {
                f"m_{name}": r["m"],
                f"width_{name}": r["width"],
                f"random_params_{name}": r["random_params"],
                f"label_{name}": "extrapolated" if out else const["label"],
                f"extrapolated_{name}": out,
            }
        )
    if floors:
        row["m_floor"] = m_floor(split["eps_pp"], split["delta_pp"])
    return row


def _totals(rows: list, name: str) -> dict:
    if f"m_{name}" not in rows[0]:
        return {}
    random = sum(r[f"random_params_{name}"] for r in rows)
    lower = sum(r["lower_bound_params"] for r in rows)
    return {
        f"width_{name}": max(r[f"width_{name}"] for r in rows),
        f"total_random_params_{name}": random,
        f"tightness_ratio_{name}": T2.tightness_ratio(random, lower),
        f"label_{name}": ("extrapolated" if any(r[f"extrapolated_{name}"] for r in rows) else rows[0][f"label_{name}"]),
    }


def network_width(
    layers,
    eps: float,
    delta: float = 0.01,
    C: float | None = None,
    c0: float | None = None,
    abc=None,
    floors: bool = True,
) -> dict:
    """Theorem 1 widths (both forms), random parameters, proven floors and Theorem 2 lower bounds.

    Per target layer i (l = depth, π_i = 2 for i = 1 and 1 after): eps'_i = eps / (2 l
    sqrt(π_i n_{i-1} n_i) ||B_i||), delta''_i = delta / (l π_i n_{i-1} n_i |B_i|); separable
    m_i = ⌈a log2(1/eps'_i) + b ln(1/delta''_i) + c⌉, one constant m_i = ⌈C ln(2/eps''_i) + c0⌉
    with eps''_i = min(eps'_i, delta''_i); ñ_i = n_{i-1} m_i; random parameters
    n_{i-1} ñ_i |B_{X_{i-1}}| + ñ_i n_i |B_i|; ``m_floor`` (``bounds.floors``, proven) the
    fewest samples any constant can give at (eps'_i, delta''_i); lower bound
    n_{i-1} n_i |B_i| log2(1/(2 eps)) - 1. The primary form (keys m, width, random_params,
    label) is the separable one, calibrated or ``abc`` = (a, b, c), unless only ``C`` is given.
    """
    layers = check_layers(layers)
    eps, delta = check_eps(eps), check_delta(delta)
    sep, one, primary = _forms(C, c0, abc)
    depth = len(layers)
    rows = [_layer_row(layer, i, eps, delta, depth, sep, one, floors) for i, layer in enumerate(layers, 1)]
    for r in rows:
        r.update(
            {
                "m": r[f"m_{primary}"],
                "width": r[f"width_{primary}"],
                "random_params": r[f"random_params_{primary}"],
                "label": r[f"label_{primary}"],
                "extrapolated": bool(r[f"extrapolated_{primary}"]),
            }
        )
        r["tightness_ratio"] = T2.tightness_ratio(r["random_params"], r["lower_bound_params"])
    const = sep if primary == "separable" else one
    name = (
        f"a = {const['a']:g}, b = {const['b']:g}, c = {const['c']:g}"
        if primary == "separable"
        else f"C = {const['C']:g} (c0 = {const['c0']:g})"
    )
    warnings = [
        f"layer {i}: {r['random_params']} random parameters < the Theorem 2 lower bound "
        f"{r['lower_bound_params']}: {name} cannot be a valid Subset-Sum requirement at this eps"
        for i, r in enumerate(rows, 1)
        if r["random_params"] < r["lower_bound_params"]
    ]
    warnings += [
        f"layer {i}: m = {r['m']} is below the proven floor m_floor = {r['m_floor']} ({name})"
        for i, r in enumerate(rows, 1)
        if floors and r["m"] < r["m_floor"]
    ]
    total_random = sum(r["random_params"] for r in rows)
    total_lower = sum(r["lower_bound_params"] for r in rows)
    out = {
        "eps": eps,
        "delta": delta,
        "depth": depth,
        "form": primary,
        "label": const["label"],
        "separable": sep,
        "one_constant": one,
        "C": one["C"] if one else None,
        "c0": one["c0"] if one else None,
        "C_source": one["C_source"] if one else None,
        "calibration_eps_pp_range": one["eps_pp_range"] if one else None,
        "layers": rows,
        "width": max(r["width"] for r in rows),
        "width_definition": WIDTH_DEFINITION,
        "total_random_params": total_random,
        "total_lower_bound_params": total_lower,
        "lower_bound_label": T2.LABEL,
        "total_lower_bound_label": TOTAL_LOWER_LABEL,
        "tightness_ratio": T2.tightness_ratio(total_random, total_lower),
        "formula_latex": formula_latex(bool(one and one["c0"]), primary == "separable"),
        "warnings": warnings,
        "paper_formula_latex": r"\tilde n_i = " + S.latex(T1.paper_width_expr()),
    }
    out.update(_totals(rows, "separable"))
    out.update(_totals(rows, "one_constant"))
    return out


def family_formula_expr(closed: list[dict], affine: bool, separable: bool = False):
    """Theorem 1 with |B_i|, ||B_i|| replaced by the family's closed forms, if all layers share them."""
    first = closed[0]
    simple = all(not e.has(sp.Piecewise, sp.Sum) for e in (first["basis_dim"], first["basis_norm"]))
    same = all(c["basis_dim"] == first["basis_dim"] and c["basis_norm"] == first["basis_norm"] for c in closed)
    if not (simple and same):
        return None
    expr = formula_expr(affine, separable)
    return expr.subs({S.B: first["basis_dim"], S.B_norm: first["basis_norm"]})
