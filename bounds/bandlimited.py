"""The dimension of escnn's default band-limited steerable basis (for comparison with ours).

Orbital versus band-limited harmonic bases. escnn/e2cnn's default steerable basis is a
band-limited subset of the exactly equivariant space: on rings of radius
r = 0, 1, ..., (k-1)/2 it keeps the angular harmonics of frequency |mu| <= F(r), with
F(0) = 0 and, for r >= 1, F(r) = min(2r, 2 if r = k//2 else 2r - (r+1) mod 2) (its
default cut-off, "fco1"). The functions of frequency <= F on a circle form an
H-representation L_F with character 1 + 2 sum_{mu=1..F} cos(mu theta) at a rotation by
theta and 1 at a reflection (the constant survives, each cos/sin pair has trace 0), and
the constant functions at r = 0; so the band-limited dimension is

    sum_rings (1/|H|) sum_h chi_{L_F(r)}(h) |Fix_{F_in}(h)| |Fix_{F_out}(h)|,

computed by :func:`bandlimited_dim` (square lattice only: escnn samples on square grids).
It reproduces the published counts for C4 regular fields, 24 on 3x3 and 44 on 5x5
(``reference`` column), against 36 and 100 exact orbitals.
"""

from __future__ import annotations

import math

from .point_groups import elements, field_fix, order_and_kind


def escnn_rings(kernel: int) -> list[tuple[int, int]]:
    """(radius, maximum frequency) of escnn's default rings for a k x k kernel (odd k)."""
    max_radius = kernel // 2
    rings = []
    for r in range(0, (kernel - 1) // 2 + 1):
        F = 0 if r == 0 else min(2 * r, 2 if r == max_radius else 2 * r - (r + 1) % 2)
        rings.append((r, F))
    return rings


def bandlimited_dim(group: str, field_in: str, field_out: str, kernel: int) -> int:
    """Dimension of the H-equivariant kernels spanned by escnn's default band-limited
    harmonics (module docstring). Square-lattice groups, odd kernels.

    >>> bandlimited_dim("C4", "regular", "regular", 3), bandlimited_dim("C4", "regular", "regular", 5)
    (24, 44)
    """
    N, _, lattice = order_and_kind(group)
    if lattice != "square":
        raise ValueError(f"the band-limited count is defined for square-lattice groups, got {group}")
    if kernel % 2 == 0 or kernel < 1:
        raise ValueError(f"kernel must be odd and >= 1, got {kernel}")
    els = elements(group)
    total = 0.0
    for _r, F in escnn_rings(kernel):
        acc = 0.0
        for h in els:
            i, j = h
            chi = (
                1.0
                if (j == 1 or F == 0)
                else 1.0 + 2.0 * sum(math.cos(2 * math.pi * i * mu / N) for mu in range(1, F + 1))
            )
            acc += chi * field_fix(group, field_in, h) * field_fix(group, field_out, h)
        total += acc / len(els)
    value = round(total)
    if abs(total - value) > 1e-9:
        raise AssertionError(f"non-integer dimension {total} for {group} {field_in}->{field_out} k={kernel}")
    return int(value)
