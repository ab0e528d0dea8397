"""Inverse questions: the smallest width for a target eps; the best eps at a given width.

The width of the random network is max_i ñ_i, ñ_i = n_{i-1} m_i (Theorem 1). Given a
budget W, layer i may use m_i <= M_i = ⌊W / n_{i-1}⌋ samples. With eps'_i = eps / a_i,
a_i = 2 l sqrt(π_i n_{i-1} n_i) ||B_i||, and delta''_i = delta / b_i, b_i = l π_i n_{i-1} n_i |B_i|
(π_1 = 2, π_i = 1 after):

* separable: ⌈a log2(a_i / eps) + b ln(b_i / delta) + c⌉ <= M_i  <=>
  eps >= a_i 2^(-(M_i - c - b ln(b_i / delta)) / a), feasible iff M_i - c - b ln(b_i/delta) > log2 a_i;
* one constant: ⌈C ln(2/eps''_i) + c0⌉ <= M_i  <=>  eps''_i >= t_i = 2 exp(-(M_i - c0)/C),
  eps''_i = min(eps / a_i, delta / b_i): feasible iff delta >= b_i t_i, then eps >= a_i t_i.

The smallest reachable eps is the max over layers (it must be < 1). Symbolically (one
constant, eps term, no rounding): eps = 4 l sqrt(2 n_{i-1} n_i) ||B_i|| exp(-(W/n_{i-1} - c_0)/C).
"""

from __future__ import annotations

import math
import sys

import sympy as sp

from . import symbols as S
from .network import _forms, check_layers, network_width
from .validate import check_delta, check_positive_int


def min_width(
    layers, eps: float, delta: float = 0.01, C: float | None = None, c0: float | None = None, abc=None
) -> int:
    """Smallest width max_i ñ_i of the random network for accuracy eps (Theorem 1, primary form)."""
    return network_width(layers, eps, delta, C, c0, abc=abc, floors=False)["width"]


def min_width_expr(affine: bool = False) -> sp.Expr:
    """ñ_i = n_{i-1} ⌈C ln(max(4 l sqrt(2 n_{i-1} n_i) ||B_i|| / eps, 4 l n_{i-1} n_i |B_i| / delta)) (+ c_0)⌉."""
    from .theorem1 import theorem1_width_expr

    return theorem1_width_expr(affine)


def best_eps_expr(affine: bool = False) -> sp.Expr:
    """eps = 4 l sqrt(2 n_{i-1} n_i) ||B_i|| exp(-(W/n_{i-1} - c_0)/C) (eps term dominating, no rounding)."""
    shift = S.c0 if affine else 0
    return 4 * S.l * sp.sqrt(2 * S.n_in * S.n_out) * S.B_norm * sp.exp(-(S.W / S.n_in - shift) / S.C)


def _log_eps_layer(layer: dict, i: int, M: int, delta: float, depth: int, form: str, const: dict) -> float:
    """ln of the smallest eps layer i reaches with M samples (module docstring); ValueError
    when delta cannot be met."""
    from .theorem1 import paths

    pi = paths(i)
    n_in, n_out = layer["n_in"], layer["n_out"]
    log_a = math.log(2 * depth * math.sqrt(pi * n_in * n_out) * layer["basis_norm"])
    log_b = math.log(depth * pi * n_in * n_out * layer["basis_dim"])
    if form == "separable":
        bits = (M - const["c"] - const["b"] * (log_b - math.log(delta))) / const["a"]
        if bits <= log_a / math.log(2):
            raise ValueError(
                f"at width W = {M * n_in}, layer {i} (m = {M} samples) reaches no eps < 1 at delta = "
                f"{delta}: the delta term alone needs "
                f"{const['b'] * (log_b - math.log(delta)) + const['c']:.1f} samples; increase the "
                f"width or delta"
            )
        return log_a - bits * math.log(2)
    log_t = math.log(2.0) - (M - const["c0"]) / const["C"]
    if log_b + log_t > math.log(delta):  # delta / b_i < t_i
        raise ValueError(
            f"at width W = {M * n_in}, layer {i} cannot reach delta = {delta}: m = {M} samples give "
            f"failure probability >= {math.exp(min(log_b + log_t, 700)):.3g}; increase the width or delta"
        )
    return log_a + log_t


def best_eps(
    layers, width: int, delta: float = 0.01, C: float | None = None, c0: float | None = None, abc=None
) -> float:
    """Smallest eps in (0, 1) whose required width (max_i ñ_i, primary form) is <= ``width``.

    ValueError if no eps < 1 is reachable at this width and delta (the message says what
    width or delta would be needed).
    """
    layers = check_layers(layers)
    width = check_positive_int(width, "width W")
    delta = check_delta(delta)
    sep, one, form = _forms(C, c0, abc)
    const = sep if form == "separable" else one
    log_eps = -math.inf  # log of the smallest reachable eps (log space: no underflow)
    for i, layer in enumerate(layers, 1):
        M = width // layer["n_in"]
        if M < 1:
            raise ValueError(
                f"width W = {width} is below n_{i - 1} = {layer['n_in']} of layer {i}: "
                f"the construction needs at least one block of n_{i - 1} fields"
            )
        log_eps = max(log_eps, _log_eps_layer(layer, i, M, delta, len(layers), form, const))
    if log_eps >= 0:
        raise ValueError(
            f"at width W = {width} no eps < 1 is reachable (the bound gives eps >= "
            f"{math.exp(min(log_eps, 700)):.3g}); increase the width"
        )
    if log_eps < math.log(sys.float_info.min):
        raise ValueError(
            f"at width W = {width} the reachable eps is about 1e{log_eps / math.log(10):.0f}, "
            f"below the float range; use a smaller width or best_eps_expr()"
        )
    eps_star = math.exp(log_eps)
    # guard the rounding of ⌈·⌉: at an exact integer m the forward sum can round up by a few
    # ulps of m (~1e-13 relative at m = 1000), far more than one ulp of eps moves it; so move eps
    # up by relative steps 2^-52, 2^-51, ... to the first whose forward width fits (the answer
    # is then within twice the rounding of the smallest such eps)
    step = 2.0**-52
    for _ in range(60):
        if min_width(layers, eps_star, delta, C, c0, abc) <= width:
            return eps_star
        eps_star *= 1.0 + step
        step *= 2.0
    raise AssertionError("best_eps: forward and inverse widths disagree beyond rounding")
