"""The random Subset-Sum requirement (Lueker 1998; Pensia et al. 2020, Cor. 2; THEORY §3).

For X_1..X_m i.i.d. from D = ½δ_0 + ½Law(UV) and

    m >= C ln(2/eps'')          (paper's form; + c_0 for the calibrated affine fit)

with probability >= 1 - eps'' every z in [-1, 1] is within eps'' of a subset sum.
C is universal but not numeric in the literature: pass it, or use the calibrated value
(`bounds.calibration`), and label the result accordingly. The separable form keeps the
precision eps'' and the failure probability delta'' apart (THEORY §3):

    m >= a log2(1/eps'') + b ln(1/delta'') + c,

so that P(sup-error > eps'') <= delta''; the paper's form is the special case tying both
to one number (eps'' = delta'').
"""

from __future__ import annotations

import math

import sympy as sp

from . import symbols as S
from .validate import check_constant, check_offset, check_open_unit, check_positive_int


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
    return max(1, math.ceil(C * (math.log(2.0) - math.log(eps_pp)) + c0))  # no overflow for tiny eps'''


def subset_sum_m_separable_expr() -> sp.Expr:
    """a log2(1/eps'') + b ln(1/delta''): the separable requirement on m (+ c)."""
    return S.a * sp.log(1 / S.eps_pp, 2) + S.b * sp.log(1 / S.delta_pp) + S.c


def subset_sum_m_separable(eps_pp: float, delta_pp: float, a: float, b: float, c: float) -> int:
    """Smallest integer m >= a log2(1/eps'') + b ln(1/delta'') + c (and m >= 1).

    >>> subset_sum_m_separable(2 ** -10, 0.01, a=2.0, b=3.0, c=1.0)   # 20 + 13.8155 + 1
    35
    """
    eps_pp = check_open_unit(eps_pp, "eps''")
    delta_pp = check_open_unit(delta_pp, "delta''")
    a, b, c = check_constant(a, "a"), check_constant(b, "b"), check_offset(c, "c")
    return max(1, math.ceil(-a * math.log2(eps_pp) - b * math.log(delta_pp) + c))


def subset_sum_eps(m: int, C: float, c0: float = 0.0) -> float:
    """Smallest eps'' whose requirement ``subset_sum_m(eps'', C, c0)`` is <= m.

    C ln(2/eps'') + c0 <= m  <=>  eps'' >= 2 exp(-(m - c0)/C). May be >= 1 (no eps'' in
    (0, 1) is reachable with m samples).

    >>> round(subset_sum_eps(6, C=1.0), 6)      # 2 e^-6
    0.004958
    """
    m = check_positive_int(m, "m")
    C, c0 = check_constant(C), check_offset(c0)
    exponent = -(m - c0) / C
    if not -708 < exponent < 709:  # 2 e^x underflows (subnormal or 0) or overflows float64
        raise ValueError(
            f"eps'' = 2 exp(-(m - c0)/C) = 2 exp({exponent:.4g}) is outside float64 for m = {m}, C = {C:g}, "
            f"c0 = {c0:g}: "
            + ("below 1e-307, float64 underflow" if exponent < 0 else "far above 1 (no eps'' reachable)")
        )
    return 2.0 * math.exp(exponent)
