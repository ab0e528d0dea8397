"""The random Subset-Sum requirement (Lueker 1998; Pensia et al. 2020, Cor. 2; THEORY §3).

For X_1..X_m i.i.d. from D = ½δ_0 + ½Law(UV) and

    m >= C ln(2/eps'')          (paper's form; + c_0 for the calibrated affine fit)

with probability >= 1 - eps'' every z in [-1, 1] is within eps'' of a subset sum.
C is universal but not numeric in the literature: pass it, or use the calibrated value
(`bounds.calibration`), and label the result accordingly.
"""
from __future__ import annotations

import math

import sympy as sp

from . import symbols as S
from .validate import check_constant, check_offset, check_open_unit


def subset_sum_m_expr(affine: bool = False) -> sp.Expr:
    """C ln(2/eps'') (+ c_0 when ``affine``): the real-valued requirement on m."""
    expr = S.C * sp.log(2 / S.eps_pp)
    return expr + S.c0 if affine else expr


def subset_sum_m(eps_pp: float, C: float, c0: float = 0.0) -> int:
    """Smallest integer m >= C ln(2/eps'') + c0 (and m >= 1).

    >>> subset_sum_m(0.01, C=1.0)   # ln(200) = 5.298...
    6
    """
    eps_pp = check_open_unit(eps_pp, "eps''")
    C, c0 = check_constant(C), check_offset(c0)
    return max(1, math.ceil(C * (math.log(2.0) - math.log(eps_pp)) + c0))   # no overflow for tiny eps'''


def subset_sum_eps(m: int, C: float, c0: float = 0.0) -> float:
    """Smallest eps'' whose requirement ``subset_sum_m(eps'', C, c0)`` is <= m.

    C ln(2/eps'') + c0 <= m  <=>  eps'' >= 2 exp(-(m - c0)/C). May be >= 1 (no eps'' in
    (0, 1) is reachable with m samples).
    """
    C, c0 = check_constant(C), check_offset(c0)
    return 2.0 * math.exp(-(m - c0) / C)
