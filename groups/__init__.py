"""groups: the one description of the groups and field types every package uses (DESIGN.md).

Point groups of the square and hexagonal lattices (`PointGroup`, `point_group`: the one
place that refuses C8 and co.), subgroups of S_n and their generator syntax, and field
types: `field_type(spec)` is the one validation of a field spec, `FieldType` its hashable
result, `FAMILIES` the family registry, `check_compatible` the "same group" rule.
The argument checks every package shares (`check_int`, `check_real`, `check_flag`,
`check_real_array`: one check per kind of argument) and the memory check done before
large allocations (`check_memory`) live here too, since every package imports `groups`.
Imports only NumPy and the standard library; every other package may import it.
"""

from .checks import check_flag, check_generator, check_int, check_real, check_real_array
from .fields import (
    FAMILIES,
    FIELD_FORMS,
    MAX_ORDER,
    Family,
    FieldType,
    check_compatible,
    check_family,
    check_field,
    check_kernel,
    field_type,
)
from .memory import available_memory, check_memory, gigabytes
from .permutations import (
    MAX_ENUMERATED,
    NAMED_SUBGROUPS,
    check_subgroup,
    parse_cycles,
    subgroup_elements,
    subgroup_generators,
)
from .point_groups import EXACT_GROUPS, HEX_GROUPS, SQUARE_GROUPS, PointGroup, check_point_group, point_group

__all__ = [
    "FAMILIES",
    "FIELD_FORMS",
    "MAX_ORDER",
    "Family",
    "FieldType",
    "check_compatible",
    "check_family",
    "check_field",
    "check_int",
    "check_kernel",
    "field_type",
    "check_flag",
    "check_generator",
    "check_real",
    "check_real_array",
    "available_memory",
    "check_memory",
    "gigabytes",
    "MAX_ENUMERATED",
    "NAMED_SUBGROUPS",
    "check_subgroup",
    "parse_cycles",
    "subgroup_elements",
    "subgroup_generators",
    "EXACT_GROUPS",
    "HEX_GROUPS",
    "SQUARE_GROUPS",
    "PointGroup",
    "check_point_group",
    "point_group",
]
