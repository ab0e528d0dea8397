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
from .calibration import resolve_constants
from .closed_forms import basis_dim, basis_norm
from .validate import (check_channels, check_delta, check_eps, check_positive_int,
                       check_positive_real)

LAYER_KEYS = ("n_in", "n_out", "basis_dim", "basis_norm", "hidden_basis_dim")
TOTAL_LOWER_LABEL = ("sum over layers of the per-layer Theorem 2 bound at the same eps "
                     "(each target layer approximated to eps on its own); proven per layer, "
                     "not a lower bound for the whole network")
WIDTH_DEFINITION = "width of the random network = max_i ñ_i (its widest layer)"


def layers_from_specs(specs: list[dict], channels: list[int]) -> list[dict]:
    """Layers for `network_width` from one field spec and one channel count per boundary."""
    channels = check_channels(channels)
    if len(specs) != len(channels):
        raise ValueError(f"need one field spec per channel entry: {len(specs)} specs for "
                         f"{len(channels)} channels {channels}")
    layers = []
    for i in range(1, len(specs)):
        check_compatible(specs[i - 1], specs[i], where=f"layer {i}: boundary {i - 1} -> {i}")
        layers.append({"n_in": channels[i - 1], "n_out": channels[i],
                       "basis_dim": basis_dim(specs[i - 1], specs[i]),
                       "basis_norm": basis_norm(specs[i - 1], specs[i]),
                       "hidden_basis_dim": basis_dim(specs[i - 1], specs[i - 1])})
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
            raise ValueError(f"layer {i - 1} has n_out = {layers[i - 2]['n_out']} but layer {i} "
                             f"has n_in = {layer['n_in']}")
    return layers


def formula_expr(affine: bool):
    """ñ_i as a SymPy equation (the form used: + c_0 with the calibrated affine fit)."""
    return sp.Eq(sp.Symbol("ñ_i"), T1.theorem1_width_expr(affine))


def formula_latex(affine: bool) -> str:
    body = S.latex(T1.theorem1_width_expr(affine))
    return r"\tilde n_i = " + body


def network_width(layers, eps: float, delta: float = 0.01, C: float | None = None,
                  c0: float | None = None) -> dict:
    """Theorem 1 widths, random parameters and Theorem 2 lower bounds for a network.

    Per target layer i (l = depth): eps'' = min(eps / (2 l sqrt(2 n_{i-1} n_i) ||B_i||),
    delta / (2 l n_{i-1} n_i |B_i|)), m_i = ⌈C ln(2/eps'') + c0⌉, ñ_i = n_{i-1} m_i,
    random parameters n_{i-1} ñ_i |B_{X_{i-1}}| + ñ_i n_i |B_i|, lower bound
    n_{i-1} n_i |B_i| log2(1/(2 eps)) - 1. With C=None the calibrated (C, c0) are used.
    """
    layers = check_layers(layers)
    eps, delta = check_eps(eps), check_delta(delta)
    const = resolve_constants(C, c0)
    depth = len(layers)
    low_cal = const["eps_pp_range"][0] if const["eps_pp_range"] else None
    out_layers = []
    for layer in layers:
        up = T1.theorem1_layer(layer["n_in"], layer["n_out"], layer["basis_dim"], layer["basis_norm"],
                               layer["hidden_basis_dim"], eps, delta, depth, const["C"], const["c0"])
        low = T2.lower_bound(layer["n_in"], layer["n_out"], layer["basis_dim"], eps)
        row = {key: layer[key] for key in LAYER_KEYS}
        row.update(up)
        row.update({"lower_bound_params": low,
                    "tightness_ratio": T2.tightness_ratio(up["random_params"], low),
                    "paper_width": T1.paper_width(layer["n_in"], layer["n_out"], layer["basis_dim"],
                                                  layer["basis_norm"], eps, delta, depth, const["C"])})
        if low_cal is not None:
            row["extrapolated"] = up["eps_pp"] < low_cal
        out_layers.append(row)
    warnings = [f"layer {i}: {r['random_params']} random parameters < the Theorem 2 lower bound "
                f"{r['lower_bound_params']}: C = {const['C']:g} (c0 = {const['c0']:g}) cannot be a valid "
                f"Subset-Sum constant at this eps"
                for i, r in enumerate(out_layers, 1) if r["random_params"] < r["lower_bound_params"]]
    total_random = sum(r["random_params"] for r in out_layers)
    total_lower = sum(r["lower_bound_params"] for r in out_layers)
    affine = const["c0"] != 0.0
    return {
        "eps": eps, "delta": delta, "depth": depth,
        "C": const["C"], "c0": const["c0"], "C_source": const["C_source"], "label": const["label"],
        "calibration_eps_pp_range": const["eps_pp_range"],
        "layers": out_layers,
        "width": max(r["width"] for r in out_layers),
        "width_definition": WIDTH_DEFINITION,
        "total_random_params": total_random,
        "total_lower_bound_params": total_lower,
        "lower_bound_label": T2.LABEL,
        "total_lower_bound_label": TOTAL_LOWER_LABEL,
        "tightness_ratio": T2.tightness_ratio(total_random, total_lower),
        "formula_latex": formula_latex(affine),
        "warnings": warnings,
        "paper_formula_latex": r"\tilde n_i = " + S.latex(T1.paper_width_expr()),
    }


def family_formula_expr(closed: list[dict], affine: bool):
    """Theorem 1 with |B_i|, ||B_i|| replaced by the family's closed forms, if all layers share them."""
    first = closed[0]
    simple = all(not e.has(sp.Piecewise, sp.Sum) for e in (first["basis_dim"], first["basis_norm"]))
    same = all(c["basis_dim"] == first["basis_dim"] and c["basis_norm"] == first["basis_norm"] for c in closed)
    if not (simple and same):
        return None
    expr = formula_expr(affine)
    return expr.subs({S.B: first["basis_dim"], S.B_norm: first["basis_norm"]})
