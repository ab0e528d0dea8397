"""Theorem 2: the packing lower bound (THEORY §4).

Let D = dim Hom_G(V_in, V_out) = n_in n_out |B|. Any network with N prunable parameters
that approximates every W with ||W||_op <= 1 within eps (sup over the unit ball) by a
pruning, with probability >= 1/2, has

    N >= D log2( 1/(2 eps) ) - 1        (meaningful for eps < 1/2).

It is proven (no unknown constant). The tightness ratio of a construction is its random
parameter count divided by this bound.
"""

from __future__ import annotations

import math

import sympy as sp

from groups import check_int

from . import symbols as S
from .validate import check_eps, check_positive_int

LABEL = "proven (Theorem 2, no constant)"


def lower_bound_expr() -> sp.Expr:
    """n_{i-1} n_i |B_i| log2(1/(2 eps)) - 1."""
    return S.n_in * S.n_out * S.B * sp.log(1 / (2 * S.eps), 2) - 1


def lower_bound(n_in: int, n_out: int, basis_dim: int, eps: float) -> int:
    """Smallest integer N allowed by Theorem 2: max(0, ⌈n_in n_out |B| log2(1/(2 eps)) - 1⌉).

    For eps >= 1/2 the bound is vacuous (0).

    >>> lower_bound(1, 1, 1, 0.25)    # log2(2) - 1 = 0
    0
    >>> lower_bound(10, 10, 9, 1 / 16)  # 900 * 3 - 1
    2699
    """
    eps = check_eps(eps)
    D = (
        check_positive_int(n_in, "n_in")
        * check_positive_int(n_out, "n_out")
        * check_positive_int(basis_dim, "basis_dim |B|")
    )
    if eps >= 0.5:
        return 0
    return max(0, math.ceil(-D * math.log2(2.0 * eps) - 1))  # log2(1/(2 eps)) without overflow at tiny eps


def tightness_ratio(random_params: int, lower: int) -> float | None:
    """random parameters / lower bound (None when the lower bound is vacuous, i.e. 0).

    >>> tightness_ratio(300, 100)
    3.0
    """
    random_params = check_int("random_params", random_params, 0)
    lower = check_int("lower bound", lower, 0)
    return random_params / lower if lower > 0 else None
