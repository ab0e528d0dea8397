"""Inverse questions: the smallest width for a target eps; the best eps at a given width.

The width of the random network is max_i ñ_i, ñ_i = n_{i-1} m_i (Theorem 1). Given a
budget W, layer i may use m_i <= M_i = ⌊W / n_{i-1}⌋ samples, and

    ⌈C ln(2/eps''_i) + c0⌉ <= M_i  <=>  eps''_i >= t_i = 2 exp(-(M_i - c0)/C),

with eps''_i = min(eps / a_i, delta / b_i), a_i = 2 l sqrt(2 n_{i-1} n_i) ||B_i||,
b_i = 2 l n_{i-1} n_i |B_i|. So the budget is feasible iff delta >= b_i t_i for all i, and
then the smallest reachable eps is max_i a_i t_i (it must be < 1). Symbolically (ignoring
the rounding): eps = 4 l sqrt(2 n_{i-1} n_i) ||B_i|| exp(-(W/n_{i-1} - c_0)/C).
"""
from __future__ import annotations

import math
import sys

import sympy as sp

from . import symbols as S
from .calibration import resolve_constants
from .network import check_layers, network_width
from .validate import check_delta, check_positive_int


def min_width(layers, eps: float, delta: float = 0.01, C: float | None = None,
              c0: float | None = None) -> int:
    """Smallest width max_i ñ_i of the random network for accuracy eps (Theorem 1)."""
    return network_width(layers, eps, delta, C, c0)["width"]


def min_width_expr(affine: bool = False) -> sp.Expr:
    """ñ_i = n_{i-1} ⌈C ln(max(4 l sqrt(2 n_{i-1} n_i) ||B_i|| / eps, 4 l n_{i-1} n_i |B_i| / delta)) (+ c_0)⌉."""
    from .theorem1 import theorem1_width_expr
    return theorem1_width_expr(affine)


def best_eps_expr(affine: bool = False) -> sp.Expr:
    """eps = 4 l sqrt(2 n_{i-1} n_i) ||B_i|| exp(-(W/n_{i-1} - c_0)/C) (eps term dominating, no rounding)."""
    shift = S.c0 if affine else 0
    return 4 * S.l * sp.sqrt(2 * S.n_in * S.n_out) * S.B_norm * sp.exp(-(S.W / S.n_in - shift) / S.C)


def best_eps(layers, width: int, delta: float = 0.01, C: float | None = None,
             c0: float | None = None) -> float:
    """Smallest eps in (0, 1) whose required width (max_i ñ_i) is <= ``width``.

    ValueError if no eps < 1 is reachable at this width and delta (the message says what
    width or delta would be needed).
    """
    layers = check_layers(layers)
    width = check_positive_int(width, "width W")
    delta = check_delta(delta)
    const = resolve_constants(C, c0)
    Cv, c0v, depth = const["C"], const["c0"], len(layers)
    log_eps = -math.inf                      # log of the smallest reachable eps (log space: no underflow)
    for i, layer in enumerate(layers, 1):
        n_in, n_out = layer["n_in"], layer["n_out"]
        M = width // n_in
        if M < 1:
            raise ValueError(f"width W = {width} is below n_{i - 1} = {n_in} of layer {i}: "
                             f"the construction needs at least one block of n_{i - 1} fields")
        log_t = math.log(2.0) - (M - c0v) / Cv
        log_a = math.log(2 * depth * math.sqrt(2 * n_in * n_out) * layer["basis_norm"])
        log_b = math.log(2 * depth * n_in * n_out * layer["basis_dim"])
        if log_b + log_t > math.log(delta):
            raise ValueError(f"at width W = {width}, layer {i} cannot reach delta = {delta}: "
                             f"m = {M} samples give failure probability >= {math.exp(log_b + log_t):.3g}; "
                             f"increase the width or delta")
        log_eps = max(log_eps, log_a + log_t)
    if log_eps >= 0:
        raise ValueError(f"at width W = {width} no eps < 1 is reachable (the bound gives eps >= "
                         f"{math.exp(min(log_eps, 700)):.3g}); increase the width")
    if log_eps < math.log(sys.float_info.min):
        raise ValueError(f"at width W = {width} the reachable eps is about 1e{log_eps / math.log(10):.0f}, "
                         f"below the float range; use a smaller width or best_eps_expr()")
    eps_star = math.exp(log_eps)
    # guard the rounding of ⌈·⌉: move up to the first float whose forward width fits
    for _ in range(64):
        if min_width(layers, eps_star, delta, Cv, c0v) <= width:
            return eps_star
        eps_star = math.nextafter(eps_star, 1.0)
    raise AssertionError("best_eps: forward and inverse widths disagree beyond rounding")

