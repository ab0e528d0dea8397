"""Lemma 1 (one layer) and Theorem 1 (network): the upper bound, explicit form (THEORY §3).

Per target layer i, mapping n_{i-1} fields of X_{i-1} to n_i fields of X_i with the
orbital basis B_i, the construction uses two random layers: n_{i-1} -> ñ_i = n_{i-1} m_i
fields of X_{i-1} (full orbital basis of X_{i-1} -> X_{i-1}), then ñ_i -> n_i (basis B_i).

Lemma 1. With eps' = eps_l / (sqrt(2 n_{i-1} n_i) ||B_i||) and a union bound over the
2 n_{i-1} n_i |B_i| Subset-Sum instances,

    m_i >= C ln(2/eps''),   eps'' = min( eps_l / (sqrt(2 n_{i-1} n_i) ||B_i||),
                                         delta_l / (2 n_{i-1} n_i |B_i|) )

suffices: with probability >= 1 - delta_l every target layer with ||W_i|| <= 1 is
approximated within eps_l by a pruning of the two random layers.

Theorem 1. eps_l = eps/(2l), delta_l = delta/l, hence

    ñ_i = n_{i-1} ⌈C ln( max( 4 l sqrt(2 n_{i-1} n_i) ||B_i|| / eps,
                              4 l n_{i-1} n_i |B_i| / delta ) )⌉

and the random network has sum_i [ n_{i-1} ñ_i |B_{X_{i-1}}| + ñ_i n_i |B_i| ] parameters.
The paper states the shorter form ñ_i = C n_{i-1} log(l n_{i-1} n_i max(|B_i|, ||B_i||) /
min(eps, delta)), equal up to constants inside the logarithm (`paper_width`).
"""
from __future__ import annotations

import math

import sympy as sp

from . import symbols as S
from .subset_sum import subset_sum_m
from .validate import (check_constant, check_delta, check_depth, check_eps, check_offset,
                       check_open_unit, check_positive_int, check_positive_real)


# ---------------------------------------------------------------- symbolic
def lemma1_eps_pp_expr() -> sp.Expr:
    """eps'' = min( eps_l / (sqrt(2 n_{i-1} n_i) ||B_i||), delta_l / (2 n_{i-1} n_i |B_i|) )."""
    return sp.Min(S.eps_l / (sp.sqrt(2 * S.n_in * S.n_out) * S.B_norm),
                  S.delta_l / (2 * S.n_in * S.n_out * S.B))


def lemma1_m_expr(affine: bool = False) -> sp.Expr:
    """Lemma 1: m_i >= C ln(2/eps'') with eps'' of `lemma1_eps_pp_expr` (+ c_0 if ``affine``)."""
    expr = S.C * sp.log(2 / lemma1_eps_pp_expr())
    return expr + S.c0 if affine else expr


def theorem1_eps_pp_expr() -> sp.Expr:
    """eps'' of Theorem 1: Lemma 1 with eps_l = eps/(2l), delta_l = delta/l."""
    return lemma1_eps_pp_expr().subs({S.eps_l: S.eps / (2 * S.l), S.delta_l: S.delta / S.l})


def theorem1_m_expr(affine: bool = False) -> sp.Expr:
    """m_i = ⌈C ln(max(4 l sqrt(2 n_{i-1} n_i) ||B_i|| / eps, 4 l n_{i-1} n_i |B_i| / delta))⌉."""
    arg = sp.Max(4 * S.l * sp.sqrt(2 * S.n_in * S.n_out) * S.B_norm / S.eps,
                 4 * S.l * S.n_in * S.n_out * S.B / S.delta)
    inner = S.C * sp.log(arg)
    return sp.ceiling(inner + S.c0 if affine else inner)


def theorem1_width_expr(affine: bool = False) -> sp.Expr:
    """ñ_i = n_{i-1} m_i (Theorem 1)."""
    return S.n_in * theorem1_m_expr(affine)


def theorem1_random_params_expr(affine: bool = False) -> sp.Expr:
    """n_{i-1} ñ_i |B_{X_{i-1}}| + ñ_i n_i |B_i|: random parameters for target layer i."""
    width = theorem1_width_expr(affine)
    return S.n_in * width * S.B_hid + width * S.n_out * S.B


def paper_width_expr() -> sp.Expr:
    """The paper's form: ñ_i = C n_{i-1} log( l n_{i-1} n_i max(|B_i|, ||B_i||) / min(eps, delta) )."""
    return S.C * S.n_in * sp.log(S.l * S.n_in * S.n_out * sp.Max(S.B, S.B_norm) / sp.Min(S.eps, S.delta))


# ---------------------------------------------------------------- numeric
def _check_layer(n_in, n_out, basis_dim, basis_norm):
    check_positive_int(n_in, "n_in")
    check_positive_int(n_out, "n_out")
    check_positive_int(basis_dim, "basis_dim |B|")
    check_positive_real(basis_norm, "basis_norm ||B||")


def lemma1_eps_pp(n_in: int, n_out: int, basis_dim: int, basis_norm: float,
                  eps_l: float, delta_l: float) -> float:
    """eps'' of Lemma 1 (see module docstring)."""
    _check_layer(n_in, n_out, basis_dim, basis_norm)
    eps_l = check_open_unit(eps_l, "eps_l")
    delta_l = check_open_unit(delta_l, "delta_l")
    return min(eps_l / (math.sqrt(2 * n_in * n_out) * basis_norm),
               delta_l / (2 * n_in * n_out * basis_dim))


def lemma1_m(n_in: int, n_out: int, basis_dim: int, basis_norm: float,
             eps_l: float, delta_l: float, C: float, c0: float = 0.0) -> int:
    """m = ⌈C ln(2/eps'') + c0⌉ of Lemma 1."""
    return subset_sum_m(lemma1_eps_pp(n_in, n_out, basis_dim, basis_norm, eps_l, delta_l), C, c0)


def theorem1_layer(n_in: int, n_out: int, basis_dim: int, basis_norm: float, hidden_basis_dim: int,
                   eps: float, delta: float, depth: int, C: float, c0: float = 0.0) -> dict:
    """Theorem 1 for one target layer: eps'', m, width ñ = n_in m, random parameters.

    >>> r = theorem1_layer(784, 500, 1, 1.0, 1, eps=0.01, delta=0.01, depth=2, C=1.0)
    >>> r["m"], r["width"]
    (20, 15680)
    """
    eps, delta, depth = check_eps(eps), check_delta(delta), check_depth(depth)
    check_positive_int(hidden_basis_dim, "hidden_basis_dim |B_{X->X}|")
    C, c0 = check_constant(C), check_offset(c0)
    eps_pp = lemma1_eps_pp(n_in, n_out, basis_dim, basis_norm, eps / (2 * depth), delta / depth)
    m = subset_sum_m(eps_pp, C, c0)
    width = n_in * m
    return {"eps_pp": eps_pp, "m": m, "width": width,
            "random_params": n_in * width * hidden_basis_dim + width * n_out * basis_dim}


def paper_width(n_in: int, n_out: int, basis_dim: int, basis_norm: float,
                eps: float, delta: float, depth: int, C: float) -> int:
    """n_{i-1} ⌈C ln(l n_{i-1} n_i max(|B_i|, ||B_i||) / min(eps, delta))⌉ (the paper's form)."""
    _check_layer(n_in, n_out, basis_dim, basis_norm)
    eps, delta, depth, C = check_eps(eps), check_delta(delta), check_depth(depth), check_constant(C)
    log_arg = math.log(depth * n_in * n_out * max(basis_dim, basis_norm)) - math.log(min(eps, delta))
    return n_in * max(1, math.ceil(C * log_arg))
