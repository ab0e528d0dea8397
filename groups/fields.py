"""Field types: the neutral description of a layer boundary (DESIGN.md, "Field specs").

A field type is an action of a finite group G on a finite set X. It is written as a plain
JSON dict, a *spec* (``{"family": "steerable", "grid": 8, "kernel": 3, "group": "D4",
"field": "regular"}``); :func:`field_type` is the ONE validation of a spec and returns a
hashable, immutable :class:`FieldType` (the cache key of bases); ``to_spec()`` gives the
plain dict back. The families are the registry :data:`FAMILIES`.

Defaults rule: a spec names every key of its family; the only default is ``subgroup``
(perm), which is ``"S"`` (all of S_n). A key that does not belong to the family is an
error, so nothing a user writes is silently ignored.

Two field types can be joined by a layer when they describe the same group G (and, for
lattices, the same kernel locality): equal :attr:`FieldType.group_key`. ``cnn`` is
``steerable`` with group C1 and a trivial field, so the two mix.

>>> ft = field_type({"family": "perm", "n": 4, "order": 2})
>>> ft.subgroup, ft.to_spec()
('S', {'family': 'perm', 'n': 4, 'order': 2, 'subgroup': 'S'})
>>> field_type({"family": "cnn", "grid": 5, "kernel": 3}).group_key
('lattice', 5, 3, 'C1')
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .checks import check_int
from .permutations import check_subgroup, subgroup_elements
from .point_groups import PointGroup, point_group

#: tensor orders above this are not supported (the S_n bases grow like Bell(k + l))
MAX_ORDER = 6
FIELD_FORMS = "regular, trivial, quotient:K (K = C<d> or D<d>, e.g. quotient:C2) or point"


@dataclass(frozen=True)
class Family:
    """One entry of the family registry: its spec keys (in spec order), the optional keys
    with their defaults, keys fixed by the family itself (cnn: group C1, trivial field),
    the keys that fix the group G (``kind`` + ``shared``) and the CLI help."""

    name: str
    keys: tuple
    defaults: tuple  # ((key, default), ...)
    implied: tuple  # ((key, value), ...), not written in specs
    kind: str
    shared: tuple
    help: str

    @property
    def all_keys(self) -> tuple:
        return self.keys + tuple(k for k, _ in self.defaults)

    def foreign(self, key) -> ValueError:
        return ValueError(
            f"key {key!r} does not belong to a {self.name} field spec (its keys: {', '.join(self.all_keys) or 'none'})"
        )


_LATTICE = ("grid", "kernel", "group")
FAMILIES = {
    f.name: f
    for f in (
        Family("mlp", (), (), (), "mlp", (), "trivial group, one point per field"),
        Family(
            "cnn",
            ("grid", "kernel"),
            (),
            (("group", "C1"), ("field", "trivial")),
            "lattice",
            _LATTICE,
            "translations of the m x m torus (steerable with group C1, trivial fields)",
        ),
        Family(
            "steerable",
            ("grid", "kernel", "group", "field"),
            (),
            (),
            "lattice",
            _LATTICE,
            "Z_m^2 x| H, H a point group acting exactly on the lattice",
        ),
        Family(
            "perm",
            ("n", "order"),
            (("subgroup", "S"),),
            (),
            "perm",
            ("n", "subgroup"),
            "a subgroup of S_n on k-order tensors",
        ),
    )
}


def check_kernel(group: str, kernel, grid) -> int:
    """The kernel size k of a lattice field: k <= m (no wrap-around), odd unless H = C1."""
    m, k = check_int("grid", grid, 1), check_int("kernel", kernel, 1)
    if k > m:
        raise ValueError(
            f"kernel size {k} is larger than the grid {m}: "
            f"the kernel must fit in the torus without wrap-around (kernel <= grid)"
        )
    if k % 2 == 0 and group != "C1":
        raise ValueError(
            f"kernel size {k} is even: only odd kernels are invariant under {group} "
            f"(even kernels are allowed for C1 / cnn only)"
        )
    return k


def check_field(group: str, field) -> str:
    """A field of H: regular (F = H), trivial (one point, pixels kept), point (X = one
    point), quotient:K (F = H/K, K = C_d or D_d a subgroup of H)."""
    point_group(group)  # H itself must be an exact point group
    if field in ("regular", "trivial", "point"):
        return field
    if isinstance(field, str) and field.startswith("quotient:"):
        try:
            point_group(group).subgroup(field[len("quotient:") :])
        except ValueError as exc:
            raise ValueError(f"field {field!r}: {exc}") from None
        return field
    raise ValueError(f"unknown field type {field!r}: use {FIELD_FORMS}")


def _lattice_values(ft: FieldType) -> dict:
    grid = check_int("grid", ft.grid, 1)
    group = point_group(ft.group).name
    return {
        "grid": grid,
        "kernel": check_kernel(group, ft.kernel, grid),
        "group": group,
        "field": check_field(group, ft.field),
    }


def _perm_values(ft: FieldType) -> dict:
    n = check_int("n", ft.n, 1)
    return {"n": n, "order": check_int("order", ft.order, 0, MAX_ORDER), "subgroup": check_subgroup(ft.subgroup, n)}


_CHECKS = {"mlp": lambda ft: {}, "lattice": _lattice_values, "perm": _perm_values}


@dataclass(frozen=True)
class FieldType:
    """A validated field type (build it with :func:`field_type`); keys a family does not
    use are None (cnn carries its implicit group C1 and trivial field)."""

    family: str
    grid: int | None = None
    kernel: int | None = None
    group: str | None = None
    field: str | None = None
    n: int | None = None
    order: int | None = None
    subgroup: str | None = None

    def __post_init__(self):
        family = check_family(self.family)
        fixed = dict(family.defaults)
        for key, value in family.implied:
            if getattr(self, key) not in (None, value):
                raise family.foreign(key)
            fixed[key] = value
        for f in fields(self)[1:]:
            value = getattr(self, f.name)
            if value is None and f.name in fixed:
                object.__setattr__(self, f.name, fixed[f.name])
            elif value is None and f.name in family.keys:
                raise ValueError(
                    f"a {family.name} field spec needs the key {f.name!r} (its keys: {', '.join(family.all_keys)})"
                )
            elif value is not None and f.name not in family.all_keys + tuple(fixed):
                raise family.foreign(f.name)
        for key, value in _CHECKS[family.kind](self).items():
            object.__setattr__(self, key, value)

    @property
    def group_key(self) -> tuple:
        """The group G (and kernel locality) this field type belongs to: layers map
        between field types with equal keys."""
        family = FAMILIES[self.family]
        return (family.kind,) + tuple(getattr(self, k) for k in family.shared)

    @property
    def point_group(self) -> PointGroup:
        """H of a lattice field type (C1 for cnn)."""
        return point_group(self.group)

    def to_spec(self) -> dict:
        """The plain JSON dict of DESIGN.md (defaults written out)."""
        return {"family": self.family, **{k: getattr(self, k) for k in FAMILIES[self.family].all_keys}}


def check_family(name) -> Family:
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {name!r}")
    return FAMILIES[name]


def field_type(spec) -> FieldType:
    """The ONE validation of a field spec (a dict, DESIGN.md) -> FieldType; a FieldType is
    returned as it is. ValueError naming the key, the value and what is accepted."""
    if isinstance(spec, FieldType):
        return spec
    if not isinstance(spec, dict) or "family" not in spec:
        raise ValueError(f"a field spec is a dict with a 'family' key, got {spec!r}")
    family = check_family(spec["family"])
    for key in spec:
        if key != "family" and key not in family.all_keys:
            raise family.foreign(key)
    return FieldType(**spec)


def _same_subgroup(a: FieldType, b: FieldType) -> bool:
    """Two perm field types on the same n whose subgroups are spelled differently but are
    the same group ('(1 2)' and '(2 1)'): equal element sets, when both can be enumerated
    (at most MAX_ENUMERATED elements; larger groups compare by spelling)."""
    if a.family != "perm" or b.family != "perm" or a.n != b.n:
        return False
    try:
        return set(subgroup_elements(a.n, a.subgroup)) == set(subgroup_elements(b.n, b.subgroup))
    except ValueError:  # too large to enumerate
        return False


def check_compatible(spec_a, spec_b, where: str = "") -> tuple[FieldType, FieldType]:
    """The two field types, if a layer can map one to the other (same group G and
    locality: equal group keys); else ValueError naming the first key that differs.
    Subgroups of S_n spelled differently but equal as groups ('(1 2)', '(2 1)') are the
    same G: the second field type is returned with the first one's spelling."""
    a, b = field_type(spec_a), field_type(spec_b)
    if a.group_key == b.group_key:
        return a, b
    if _same_subgroup(a, b):  # one group, two spellings: b takes a's, so the keys agree downstream
        return a, replace(b, subgroup=a.subgroup)
    if a.group_key[0] != b.group_key[0]:
        differ = f"family {a.family!r} -> {b.family!r}"
    else:
        key = next(k for k in FAMILIES[a.family].shared if getattr(a, k) != getattr(b, k))
        differ = f"{key} {getattr(a, key)!r} -> {getattr(b, key)!r}"
    at = f" ({where})" if where else ""
    raise ValueError(
        f"incompatible consecutive field types{at}: {differ} "
        f"(specs {a.to_spec()} and {b.to_spec()} describe different groups)"
    )
