"""Point groups H of the lattice families and their fixed points (for Burnside's formula).

Conventions (DESIGN.md): H = C_N or D_N, elements r^i s^j listed as (i, j) with index
i + N j; r is the rotation by 360°/N, s the reflection across the first lattice axis;
s r = r^-1 s. Square lattice: C1 C2 C4 D1 D2 D4; hexagonal: C3 C6 D3 D6.

Fixed points used by the closed forms (k = kernel size, r = (k-1)/2):
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

from functools import lru_cache

import sympy as sp

from .specs import HEX_GROUPS, parse_quotient


def order_and_kind(group: str) -> tuple[int, bool, str]:
    """(N, dihedral, lattice) of H; e.g. 'D4' -> (4, True, 'square')."""
    return int(group[1:]), group[0] == "D", "hex" if group in HEX_GROUPS else "square"


@lru_cache(maxsize=None)
def elements(group: str) -> tuple[tuple[int, int], ...]:
    """The elements (i, j) = r^i s^j of H, in index order i + N j."""
    N, dihedral, _ = order_and_kind(group)
    return tuple((i, j) for j in range(2 if dihedral else 1) for i in range(N))


def compose(group: str, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """a b, using s r = r^-1 s: r^i1 s^j1 r^i2 s^j2 = r^(i1 + (-1)^j1 i2) s^(j1 + j2)."""
    N = int(group[1:])
    (i1, j1), (i2, j2) = a, b
    return ((i1 + (-i2 if j1 else i2)) % N, (j1 + j2) % 2)


def inverse(group: str, a: tuple[int, int]) -> tuple[int, int]:
    N = int(group[1:])
    i, j = a
    return a if j else ((-i) % N, 0)


@lru_cache(maxsize=None)
def subgroup(group: str, kind: str, d: int) -> frozenset:
    """K = C_d = <r^(N/d)> or D_d = <r^(N/d), s> inside H."""
    N = int(group[1:])
    rot = {((N // d) * t % N, 0) for t in range(d)}
    return frozenset(rot | ({(i, 1) for i, _ in rot} if kind == "D" else set()))


def field_size(group: str, field: str) -> int:
    """|F| of a field: regular |H|, trivial 1, point 1, quotient |H|/|K|."""
    if field == "regular":
        return len(elements(group))
    if field in ("trivial", "point"):
        return 1
    return len(elements(group)) // len(subgroup(group, *parse_quotient(field, group)))


@lru_cache(maxsize=None)
def field_fix(group: str, field: str, h: tuple[int, int]) -> int:
    """|Fix_F(h)|: the number of points of the H-set F fixed by h."""
    if field == "regular":
        return len(elements(group)) if h == (0, 0) else 0
    if field in ("trivial", "point"):
        return 1
    K = subgroup(group, *parse_quotient(field, group))
    conj = sum(1 for c in elements(group) if compose(group, compose(group, inverse(group, c), h), c) in K)
    return conj // len(K)


def _floor_div(x, q: int):
    return sp.floor(x / q) if isinstance(x, sp.Basic) else x // q


def kernel_size(group: str, k):
    """|K|: k^2 (square lattice) or 3r(r+1)+1 = (3k^2+1)/4 with r = (k-1)/2 (hexagonal)."""
    if order_and_kind(group)[2] == "square":
        return k ** 2
    return (3 * k ** 2 + 1) / 4 if isinstance(k, sp.Basic) else (3 * k * k + 1) // 4


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
    r = (k - 1) / 2 if isinstance(k, sp.Basic) else (k - 1) // 2   # k is odd
    if (180 * i) % (60 * N) == 0:       # axis along lattice vectors (0°, 60°, 120°)
        return 2 * r + 1
    return 2 * _floor_div(r, 2) + 1       # axis through edge midpoints (30°, 90°, 150°)
