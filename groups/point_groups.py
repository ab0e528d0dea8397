"""Point groups H of the square and hexagonal pixel lattices (DESIGN.md, THEORY.md §1).

H = C_N (rotations) or D_N (rotations and reflections), |D_N| = 2N. An element r^i s^j is
the pair (i, j), listed at index i + N j; s r = r^-1 s, so

    r^i1 s^j1 r^i2 s^j2 = r^(i1 + (-1)^j1 i2) s^(j1 + j2).

As integer matrices acting on lattice coordinates: square lattice, r = rotation by
360°/N ((x, y) -> (-y, x) is r90; C_N uses r90^(4/N)), s = (x, y) -> (x, -y);
hexagonal lattice (basis e1, e2 at 60°), r60 = (a, b) -> (-b, a + b) (C_N uses
r60^(6/N)), s = (a, b) -> (a + b, -b) (reflection across e1).

These ten groups are the only ones that act exactly on a pixel lattice;
:func:`point_group` is the one place that refuses every other name (C8, C5, ...).

>>> H = point_group("D4")
>>> H.order, H.compose((1, 0), (0, 1)), H.inverse((1, 0))
(8, (1, 1), (3, 0))
>>> sorted(H.subgroup("D1"))
[(0, 0), (0, 1)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

SQUARE_GROUPS = ("C1", "C2", "C4", "D1", "D2", "D4")
HEX_GROUPS = ("C3", "C6", "D3", "D6")
EXACT_GROUPS = SQUARE_GROUPS + HEX_GROUPS

_R90 = np.array([[0, -1], [1, 0]])
_S_SQUARE = np.array([[1, 0], [0, -1]])
_R60 = np.array([[0, -1], [1, 1]])  # (a, b) -> (-b, a + b) as a column-vector map
_S_HEX = np.array([[1, 1], [0, -1]])  # (a, b) -> (a + b, -b)

Element = tuple  # (i, j) = r^i s^j


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class PointGroup:
    """H = C_N or D_N on its lattice; build it with :func:`point_group` (checked, cached)."""

    name: str

    def __post_init__(self):
        check_point_group(self.name)

    @property
    def N(self) -> int:
        """The rotation order N (|C_N| = N, |D_N| = 2N)."""
        return int(self.name[1:])

    @property
    def dihedral(self) -> bool:
        return self.name[0] == "D"

    @property
    def lattice(self) -> str:
        """'square' or 'hex'."""
        return "hex" if self.name in HEX_GROUPS else "square"

    @property
    def order(self) -> int:
        return self.N * (2 if self.dihedral else 1)

    @cached_property
    def elements(self) -> tuple:
        """The elements (i, j) = r^i s^j, in index order i + N j."""
        return tuple((i, j) for j in range(2 if self.dihedral else 1) for i in range(self.N))

    @property
    def identity(self) -> Element:
        return (0, 0)

    @property
    def generators(self) -> tuple:
        """r (the identity when N = 1), then s if H is dihedral."""
        return ((1 % self.N, 0),) + (((0, 1),) if self.dihedral else ())

    def index(self, h: Element) -> int:
        return h[0] + self.N * h[1]

    def compose(self, a: Element, b: Element) -> Element:
        """a b, using s r = r^-1 s."""
        (i1, j1), (i2, j2) = a, b
        return ((i1 + (-i2 if j1 else i2)) % self.N, (j1 + j2) % 2)

    def inverse(self, a: Element) -> Element:
        """a^-1: reflections are involutions, (r^i)^-1 = r^-i."""
        i, j = a
        return a if j else ((-i) % self.N, 0)

    @cached_property
    def matrices(self) -> np.ndarray:
        """The elements as integer matrices on lattice coordinates, shape (|H|, 2, 2), index order."""
        if self.lattice == "hex":
            r, s = np.linalg.matrix_power(_R60, 6 // self.N), _S_HEX
        else:
            r, s = np.linalg.matrix_power(_R90, 4 // self.N), _S_SQUARE
        mats = [np.linalg.matrix_power(r, i) @ np.linalg.matrix_power(s, j) for i, j in self.elements]
        return _readonly(np.array(mats, dtype=np.int64))

    @cached_property
    def table(self) -> np.ndarray:
        """Multiplication table: table[a, b] = index of h_a h_b."""
        els = self.elements
        return _readonly(np.array([[self.index(self.compose(a, b)) for b in els] for a in els], dtype=np.int64))

    def subgroup(self, name: str) -> frozenset:
        """K = C_d = <r^(N/d)> or D_d = <r^(N/d), s> (name 'C<d>' or 'D<d>'); ValueError
        naming d and N when K is not a subgroup of H."""
        match = re.fullmatch(r"([CD])([1-9][0-9]*)", name) if isinstance(name, str) else None
        if not match:
            raise ValueError(f"the subgroup K must be C<d> or D<d> (d >= 1, no leading zeros, e.g. C2), got {name!r}")
        kind, d = match.group(1), int(match.group(2))
        if d < 1 or self.N % d:
            raise ValueError(f"{name} is not a subgroup of {self.name}: d = {d} must divide N = {self.N}")
        if kind == "D" and not self.dihedral:
            raise ValueError(
                f"{name} is not a subgroup of {self.name}: {self.name} has no reflections "
                f"(D_d is a subgroup only of a dihedral H)"
            )
        rotations = {((self.N // d) * t % self.N, 0) for t in range(d)}
        return frozenset(rotations | ({(i, 1) for i, _ in rotations} if kind == "D" else set()))

    def cosets(self, name: str) -> np.ndarray:
        """The left cosets hK as the action table act[h, c] = index of the coset h . c_c
        (cosets numbered by first appearance in index order; h . (c K) = (h c) K)."""
        K = np.array(sorted(self.index(k) for k in self.subgroup(name)))
        table = self.table
        found, coset_of = {}, np.empty(self.order, dtype=np.int64)
        for c in range(self.order):
            coset_of[c] = found.setdefault(tuple(sorted(table[c, K])), len(found))
        reps = np.array([min(key) for key in found])
        return coset_of[table[:, reps]]


def check_point_group(name) -> str:
    """``name`` if it is one of the exact groups; else ValueError (C8 and co. are refused here)."""
    if not isinstance(name, str) or not re.fullmatch(r"[CD][0-9]+", name):
        raise ValueError(f"unknown point group {name!r}: exact groups are {', '.join(EXACT_GROUPS)}")
    if name not in EXACT_GROUPS:
        raise ValueError(
            f"{name} does not act exactly on a pixel lattice; the exact rotation groups are "
            f"{', '.join(SQUARE_GROUPS)} (square lattice) and {', '.join(HEX_GROUPS)} (hexagonal lattice)"
        )
    return name


def point_group(name) -> PointGroup:
    """The point group called ``name``, one cached object per name; ValueError for any
    group that does not act exactly on a pixel lattice."""
    return _point_group(check_point_group(name))


@cache
def _point_group(name: str) -> PointGroup:
    return PointGroup(name)
