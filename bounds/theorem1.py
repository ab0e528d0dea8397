"""Lemma 1 (one layer) and Theorem 1 (network): the upper bound, explicit form (THEORY §3).

Per target layer i, mapping n_{i-1} fields of X_{i-1} to n_i fields of X_i with the
orbital basis B_i, the construction uses two random layers: n_{i-1} -> ñ_i = n_{i-1} m_i
fields of X_{i-1} (full orbital basis of X_{i-1} -> X_{i-1}), then ñ_i -> n_i (basis B_i).
Layer 1 solves two Subset-Sum problems per coefficient (the paths relu(x) and relu(-x));
a layer i >= 2 reads a ReLU output (nonnegative), so only the positive path: π_1 = 2,
π_i = 1 (THEORY §3 "Layers i >= 2").

Lemma 1. Every instance solved within eps'_i = eps_l / (sqrt(π_i n_{i-1} n_i) ||B_i||)
gives a layer error <= eps_l, and a union bound over the π_i n_{i-1} n_i |B_i| instances
with per-instance failure probability delta''_i = delta_l / (π_i n_{i-1} n_i |B_i|) gives
probability >= 1 - delta_l. With the random Subset-Sum requirement

    separable:     m_i >= a log2(1/eps'_i) + b ln(1/delta''_i) + c
    one constant:  m_i >= C ln(2/eps''_i) (+ c0),  eps''_i = min(eps'_i, delta''_i)  (the paper's)

every target layer with ||W_i|| <= 1 is approximated within eps_l by a pruning of the two
random layers with probability >= 1 - delta_l.

Theorem 1. eps_l = eps/(2l), delta_l = delta/l, hence (one constant)

    ñ_i = n_{i-1} ⌈C ln( max( 4 l sqrt(π_i n_{i-1} n_i) ||B_i|| / eps,
                              2 l π_i n_{i-1} n_i |B_i| / delta ) )⌉

and the random network has sum_i [ n_{i-1} ñ_i |B_{X_{i-1}}| + ñ_i n_i |B_i| ] parameters.
The paper states the shorter form ñ_i = C n_{i-1} log(l n_{i-1} n_i max(|B_i|, ||B_i||) /
min(eps, delta)), equal up to constants inside the logarithm (`paper_width`).
"""

from __future__ import annotations

import math

import sympy as sp

from . import symbols as S
from .subset_sum import subset_sum_m, subset_sum_m_separable
from .validate import (
    check_constant,
    check_delta,
    check_depth,
    check_eps,
    check_offset,
    check_open_unit,
    check_positive_int,
    check_positive_real,
)


# ---------------------------------------------------------------- symbolic
def lemma1_eps_expr() -> sp.Expr:
    """eps'_i = eps_l / (sqrt(π_i n_{i-1} n_i) ||B_i||): the per-instance precision."""
    return S.eps_l / (sp.sqrt(S.paths * S.n_in * S.n_out) * S.B_norm)


def lemma1_delta_expr() -> sp.Expr:
    """delta''_i = delta_l / (π_i n_{i-1} n_i |B_i|): the per-instance failure probability."""
    return S.delta_l / (S.paths * S.n_in * S.n_out * S.B)


def lemma1_eps_pp_expr() -> sp.Expr:
    """eps''_i = min(eps'_i, delta''_i): the one number of the paper's form."""
    return sp.Min(lemma1_eps_expr(), lemma1_delta_expr())


def lemma1_m_expr(affine: bool = False, separable: bool = False) -> sp.Expr:
    """Lemma 1: m_i >= C ln(2/eps''_i) (+ c_0 if ``affine``), or with ``separable``
    m_i >= a log2(1/eps'_i) + b ln(1/delta''_i) + c."""
    if separable:
        return S.a * sp.log(1 / lemma1_eps_expr(), 2) + S.b * sp.log(1 / lemma1_delta_expr()) + S.c
    expr = S.C * sp.log(2 / lemma1_eps_pp_expr())
    return expr + S.c0 if affine else expr


def _theorem1(expr: sp.Expr) -> sp.Expr:
    return expr.subs({S.eps_l: S.eps / (2 * S.l), S.delta_l: S.delta / S.l})


def theorem1_eps_pp_expr() -> sp.Expr:
    """eps''_i of Theorem 1: Lemma 1 with eps_l = eps/(2l), delta_l = delta/l."""
    return _theorem1(lemma1_eps_pp_expr())


def theorem1_m_expr(affine: bool = False, separable: bool = False) -> sp.Expr:
    """m_i = ⌈C ln(max(4 l sqrt(π_i n_{i-1} n_i) ||B_i|| / eps, 2 l π_i n_{i-1} n_i |B_i| / delta))⌉
    (+ c_0), or with ``separable`` ⌈a log2(2 l sqrt(π_i n n) ||B_i|| / eps) + b ln(l π_i n n |B_i| / delta) + c⌉."""
    if separable:
        return sp.ceiling(
            S.a * sp.log(2 * S.l * sp.sqrt(S.paths * S.n_in * S.n_out) * S.B_norm / S.eps, 2)
            + S.b * sp.log(S.l * S.paths * S.n_in * S.n_out * S.B / S.delta)
            + S.c
        )
    arg = sp.Max(
        4 * S.l * sp.sqrt(S.paths * S.n_in * S.n_out) * S.B_norm / S.eps,
        2 * S.l * S.paths * S.n_in * S.n_out * S.B / S.delta,
    )
    inner = S.C * sp.log(arg)
    return sp.ceiling(inner + S.c0 if affine else inner)


def theorem1_width_expr(affine: bool = False, separable: bool = False) -> sp.Expr:
    """ñ_i = n_{i-1} m_i (Theorem 1)."""
    return S.n_in * theorem1_m_expr(affine, separable)


def theorem1_random_params_expr(affine: bool = False, separable: bool = False) -> sp.Expr:
    """n_{i-1} ñ_i |B_{X_{i-1}}| + ñ_i n_i |B_i|: random parameters for target layer i."""
    width = theorem1_width_expr(affine, separable)
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


def paths(layer_index: int) -> int:
    """π_i: 2 sign paths in the first target layer (input of any sign), 1 after (ReLU output)."""
    return 2 if check_positive_int(layer_index, "layer index i") == 1 else 1


def lemma1_split(
    n_in: int, n_out: int, basis_dim: int, basis_norm: float, eps_l: float, delta_l: float, paths: int = 2
) -> dict:
    """Lemma 1 per instance: {paths, problems, eps_pp (eps'_i), delta_pp (delta''_i)}."""
    _check_layer(n_in, n_out, basis_dim, basis_norm)
    eps_l = check_open_unit(eps_l, "eps_l")
    delta_l = check_open_unit(delta_l, "delta_l")
    paths = check_positive_int(paths, "paths π_i")
    problems = paths * n_in * n_out * basis_dim
    return {
        "paths": paths,
        "problems": problems,
        "eps_pp": eps_l / (math.sqrt(paths * n_in * n_out) * basis_norm),
        "delta_pp": delta_l / problems,
    }


def lemma1_eps_pp(
    n_in: int, n_out: int, basis_dim: int, basis_norm: float, eps_l: float, delta_l: float, paths: int = 2
) -> float:
    """eps''_i = min(eps'_i, delta''_i) of Lemma 1, the paper's one number (module docstring)."""
    r = lemma1_split(n_in, n_out, basis_dim, basis_norm, eps_l, delta_l, paths)
    return min(r["eps_pp"], r["delta_pp"])


def lemma1_m(
    n_in: int,
    n_out: int,
    basis_dim: int,
    basis_norm: float,
    eps_l: float,
    delta_l: float,
    C: float,
    c0: float = 0.0,
    paths: int = 2,
) -> int:
    """m = ⌈C ln(2/eps'') + c0⌉ of Lemma 1."""
    return subset_sum_m(lemma1_eps_pp(n_in, n_out, basis_dim, basis_norm, eps_l, delta_l, paths), C, c0)


def theorem1_split(
    n_in: int, n_out: int, basis_dim: int, basis_norm: float, eps: float, delta: float, depth: int, paths: int = 2
) -> dict:
    """Lemma 1's per-instance eps'_i, delta''_i with eps_l = eps/(2l), delta_l = delta/l."""
    eps, delta, depth = check_eps(eps), check_delta(delta), check_depth(depth)
    return lemma1_split(n_in, n_out, basis_dim, basis_norm, eps / (2 * depth), delta / depth, paths)


def _row(n_in, n_out, basis_dim, hidden_basis_dim, m) -> dict:
    check_positive_int(hidden_basis_dim, "hidden_basis_dim |B_{X->X}|")
    width = n_in * m
    return {"m": m, "width": width, "random_params": n_in * width * hidden_basis_dim + width * n_out * basis_dim}


def theorem1_layer(
    n_in: int,
    n_out: int,
    basis_dim: int,
    basis_norm: float,
    hidden_basis_dim: int,
    eps: float,
    delta: float,
    depth: int,
    C: float,
    c0: float = 0.0,
    paths: int = 2,
) -> dict:
    """Theorem 1 for one target layer, one-constant form: eps'', m, width ñ = n_in m, random parameters.

    >>> r = theorem1_layer(784, 500, 1, 1.0, 1, eps=0.01, delta=0.01, depth=2, C=1.0)
    >>> r["m"], r["width"]
    (20, 15680)
    """
    C, c0 = check_constant(C), check_offset(c0)
    split = theorem1_split(n_in, n_out, basis_dim, basis_norm, eps, delta, depth, paths)
    eps_pp = min(split["eps_pp"], split["delta_pp"])
    return {"eps_pp": eps_pp, **_row(n_in, n_out, basis_dim, hidden_basis_dim, subset_sum_m(eps_pp, C, c0))}


def theorem1_layer_separable(
    n_in: int,
    n_out: int,
    basis_dim: int,
    basis_norm: float,
    hidden_basis_dim: int,
    eps: float,
    delta: float,
    depth: int,
    a: float,
    b: float,
    c: float,
    paths: int = 2,
) -> dict:
    """Theorem 1 for one target layer, separable form: eps'_i, delta''_i, m, width, random parameters.

    >>> r = theorem1_layer_separable(784, 500, 1, 1.0, 1, 0.01, 0.01, 2, a=2.0, b=4.0, c=10.0)
    >>> r["m"], r["problems"]        # ceil(2 log2(1/2.82e-6) + 4 ln(1/6.38e-9) + 10)
    (123, 784000)
    """
    split = theorem1_split(n_in, n_out, basis_dim, basis_norm, eps, delta, depth, paths)
    m = subset_sum_m_separable(split["eps_pp"], split["delta_pp"], a, b, c)
    return {**split, **_row(n_in, n_out, basis_dim, hidden_basis_dim, m)}


def paper_width(
    n_in: int, n_out: int, basis_dim: int, basis_norm: float, eps: float, delta: float, depth: int, C: float
) -> int:
    """n_{i-1} ⌈C ln(l n_{i-1} n_i max(|B_i|, ||B_i||) / min(eps, delta))⌉ (the paper's form)."""
    _check_layer(n_in, n_out, basis_dim, basis_norm)
    eps, delta, depth, C = check_eps(eps), check_delta(delta), check_depth(depth), check_constant(C)
    log_arg = math.log(depth * n_in * n_out * max(basis_dim, basis_norm)) - math.log(min(eps, delta))
    return n_in * max(1, math.ceil(C * log_arg))
