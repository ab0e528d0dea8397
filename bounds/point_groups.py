"""Fixed points of the point groups H of the lattice families, for Burnside's formula.

The groups themselves (elements r^i s^j as (i, j), composition, subgroups C_d and D_d) are
`groups.point_group`'s (DESIGN.md). Fixed points used by the closed forms (k = kernel
size, r = (k-1)/2):
* kernel offsets K (square: k x k box, |K| = k^2; hexagonal: hex ball of radius r,
  |K| = 3r(r+1)+1): e fixes |K|; a nontrivial rotation fixes only the zero offset; the
  reflection r^i s has its axis at angle 180° i/N: square lattice, every axis (0°, 45°,
  90°, 135°) holds k offsets; hexagonal lattice, an axis along lattice vectors (angle a
  multiple of 60°) holds 2r+1 offsets, an axis through edge midpoints (30°, 90°, 150°)
  holds 2⌊r/2⌋+1.
* fields: regular F = H fixes |H| points at e and none elsewhere; trivial and point: 1;
  quotient H/K: #{c in H : c^-1 h c in K} / |K| cosets.
The `k` arguments accept an int (numbers) or a SymPy symbol (closed forms).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from groups import point_group


def order_and_kind(group: str) -> tuple[int, bool, str]:
    """(N, dihedral, lattice) of H; e.g. 'D4' -> (4, True, 'square')."""
    H = point_group(group)
    return H.N, H.dihedral, H.lattice


def elements(group: str) -> tuple[tuple[int, int], ...]:
    """The elements (i, j) = r^i s^j of H, in index order i + N j."""
    return point_group(group).elements


def _subgroup(group: str, field: str) -> frozenset:
    return point_group(group).subgroup(field.split(":", 1)[1])


def field_size(group: str, field: str) -> int:
    """|F| of a field: regular |H|, trivial 1, point 1, quotient |H|/|K|."""
    if field == "regular":
        return point_group(group).order
    if field in ("trivial", "point"):
        return 1
    return point_group(group).order // len(_subgroup(group, field))


@cache
def field_fix(group: str, field: str, h: tuple[int, int]) -> int:
    """|Fix_F(h)|: the number of points of the H-set F fixed by h."""
    H = point_group(group)
    if field == "regular":
        return H.order if h == H.identity else 0
    if field in ("trivial", "point"):
        return 1
    K = _subgroup(group, field)
    conj = sum(1 for c in H.elements if H.compose(H.compose(H.inverse(c), h), c) in K)
    return conj // len(K)


def _floor_div(x, q: int):
    return sp.floor(x / q) if isinstance(x, sp.Basic) else x // q


def kernel_size(group: str, k):
    """|K|: k^2 (square lattice) or 3r(r+1)+1 = (3k^2+1)/4 with r = (k-1)/2 (hexagonal)."""
    if point_group(group).lattice == "square":
        return k**2
    return (3 * k**2 + 1) / 4 if isinstance(k, sp.Basic) else (3 * k * k + 1) // 4


def kernel_fix(group: str, h: tuple[int, int], k):
    """|Fix_K(h)|: offsets of the kernel support fixed by h (see module docstring)."""
    N, _, lattice = order_and_kind(group)
    i, j = h
    if h == (0, 0):
        return kernel_size(group, k)
    if j == 0:
        return 1
    if lattice == "square":
        return k
    r = (k - 1) / 2 if isinstance(k, sp.Basic) else (k - 1) // 2  # k is odd
    if (180 * i) % (60 * N) == 0:  # axis along lattice vectors (0°, 60°, 120°)
        return 2 * r + 1
    return 2 * _floor_div(r, 2) + 1  # axis through edge midpoints (30°, 90°, 150°)
