"""From field types (groups.FieldType, or their spec dicts, DESIGN.md) to exact actions and
orbital bases, each built once per process (cached on the hashable field types).

Which basis a pair of field types gets: lattice families, Z_m^2 ⋊ H with kernel locality
(lattice.lattice_basis); perm with the full S_n, the closed-form partition basis (einsum,
any n); perm subgroups and mlp, the generic union-find orbital basis.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache, partial

import numpy as np

from groups import FAMILIES, FieldType, check_compatible, check_memory, field_type

from .actions import Action
from .lattice import field_action, kernel_offsets, lattice_action, lattice_basis
from .orbital import orbital_basis
from .partition import _partition_basis, partition_basis, partition_bytes
from .perm import tensor_action
from .protocol import Basis


@lru_cache(maxsize=64)
def action(ft: FieldType) -> Action:
    """The exact permutation action of G on X for a field type."""
    kind = FAMILIES[ft.family].kind
    if kind == "mlp":
        return Action("trivial", np.zeros((1, 1), dtype=np.int64), "one point (MLP channel)", 1)
    if kind == "perm":
        return tensor_action(ft.n, ft.order, ft.subgroup)
    return lattice_action(ft.grid, ft.group, ft.field)


def basis(field_in, field_out) -> Basis:
    """The orbital basis of Hom_G(R^X, R^Y) between two compatible field types (FieldType
    or spec dicts), built once per pair; its hidden basis (X -> X) comes from the same cache.
    Its construction is checked against the available memory first (:func:`basis_bytes`)."""
    a, b = check_compatible(field_in, field_out)
    check_memory(
        basis_bytes(a, b),
        f"the basis {_what(a)} -> {_what(b)} (|X| = {points(a):,}, |Y| = {points(b):,})",
        "use a smaller grid, n or tensor order",
    )
    return _basis(a, b)


def points(ft: FieldType) -> int:
    """|X|, the number of points of a field type (exact Python int, nothing built)."""
    kind = FAMILIES[ft.family].kind
    if kind == "perm":
        return ft.n**ft.order
    if kind == "lattice":
        return 1 if ft.field == "point" else int(field_action(ft.group, ft.field).shape[1]) * ft.grid**2
    return 1


def basis_bytes(a: FieldType, b: FieldType) -> int:
    """Estimate of the memory the construction of the basis a -> b holds at once: the two
    actions (generators, index grids) and, per pair of the support that union-find or the
    lattice expansion walks, about 9 int64 arrays (none for the closed-form S_n basis)."""
    kind = FAMILIES[a.family].kind
    gens = 4 if kind == "lattice" else 3
    nx, ny = points(a), points(b)
    if kind == "perm" and a.subgroup == "S":
        return partition_bytes(a.n, a.order, b.order)
    if kind == "mlp":
        pairs = nx * ny
    elif kind == "lattice" and "point" not in (a.field, b.field):
        pairs = ny * len(kernel_offsets(a.group, a.kernel, a.grid)) * (nx // a.grid**2)
    else:
        pairs = nx * ny
    return 8 * ((3 * gens + 4) * (nx + ny) + (2 * gens + 9) * pairs)


def basis_from_specs(spec_in: dict, spec_out: dict) -> Basis:
    """:func:`basis` for two field specs (plain dicts, DESIGN.md)."""
    return basis(spec_in, spec_out)


@lru_cache(maxsize=16)
def _basis(a: FieldType, b: FieldType) -> Basis:
    kind = FAMILIES[a.family].kind
    if kind == "perm" and a.subgroup == "S":
        return partition_basis(a.n, a.order, b.order)
    if kind == "lattice":
        built = lattice_basis(a.grid, a.group, a.field, b.field, a.kernel)
    else:
        built = orbital_basis(action(a), action(b), name=f"{a.family} {_label(a)} -> {_label(b)}")
    return replace(built, hidden=partial(basis, a, a))


def action_from_spec(spec) -> Action:
    """:func:`action` for a field spec (plain dict, DESIGN.md) or field type."""
    return action(field_type(spec))


def normalize_spec(spec) -> dict:
    """The validated spec with its defaults written out (groups.FieldType.to_spec)."""
    return field_type(spec).to_spec()


def clear_basis_cache() -> None:
    """Forget every cached action and basis (benchmarks time the construction itself)."""
    for cached in (action, _basis, _partition_basis):
        cached.cache_clear()


def _label(ft: FieldType) -> str:
    if ft.family == "perm":
        return f"S_{ft.n}" + ("" if ft.subgroup == "S" else f" subgroup {ft.subgroup}") + f" order {ft.order}"
    return ft.family


def _what(ft: FieldType) -> str:
    if FAMILIES[ft.family].kind == "lattice":
        return f"{ft.group} {ft.field} field on {ft.grid}x{ft.grid}"
    return _label(ft)
