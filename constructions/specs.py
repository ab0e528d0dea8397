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

from groups import FAMILIES, FieldType, check_compatible, field_type

from .actions import Action
from .lattice import lattice_action, lattice_basis
from .orbital import orbital_basis
from .partition import _partition_basis, partition_basis
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
    or spec dicts), built once per pair; its hidden basis (X -> X) comes from the same cache."""
    return _basis(*check_compatible(field_in, field_out))


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
    return replace(built, hidden=partial(_basis, a, a))


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
