"""Field specs (DESIGN.md): validation and compatibility of consecutive layers.

A spec is a plain dict: {"family": "mlp"}, {"family": "cnn", "grid": m, "kernel": k},
{"family": "steerable", "grid": m, "kernel": k, "group": H, "field": F} or
{"family": "perm", "n": n, "order": k, "subgroup": S}. Errors name the offending value.
"""
from __future__ import annotations

import re

from .validate import _is_int

SQUARE_GROUPS = ("C1", "C2", "C4", "D1", "D2", "D4")
HEX_GROUPS = ("C3", "C6", "D3", "D6")
FIELD_FORMS = "regular | trivial | quotient:K | point"
PERM_SUBGROUPS = ("S", "A", "C", "D")
# keys that must agree for two specs to describe the same group G
SHARED_KEYS = {"mlp": (), "cnn": ("grid", "kernel"), "steerable": ("grid", "kernel", "group"),
               "perm": ("n", "subgroup")}
_SUBGROUP_RE = re.compile(r"^([CD])_?(\d+)$")
_CYCLES_RE = re.compile(r"^\s*(\(\s*\d+(\s+\d+)*\s*\)\s*)+$|^\s*\(\s*\)\s*$")


def _int_key(spec: dict, key: str, minimum: int) -> int:
    if key not in spec:
        raise ValueError(f"field spec {spec} lacks the key {key!r}")
    v = spec[key]
    if not _is_int(v) or v < minimum:
        raise ValueError(f"{key} must be an integer >= {minimum}, got {v!r} (spec {spec})")
    return int(v)


def parse_quotient(field: str, group: str) -> tuple[str, int]:
    """'quotient:C2' -> ('C', 2); checks d | N and that D_d needs a dihedral H."""
    name = field.split(":", 1)[1].strip()
    match = _SUBGROUP_RE.match(name)
    if not match:
        raise ValueError(f"field {field!r}: the subgroup K must be C_d or D_d (e.g. quotient:C2), got {name!r}")
    kind, d = match.group(1), int(match.group(2))
    N = int(group[1:])
    if d < 1 or N % d:
        raise ValueError(f"field {field!r}: d = {d} must divide N = {N} of H = {group}")
    if kind == "D" and group[0] != "D":
        raise ValueError(f"field {field!r}: K = D_{d} is a subgroup only of a dihedral H, not of {group}")
    return kind, d


def check_field(field, group: str) -> str:
    if not isinstance(field, str):
        raise ValueError(f"field must be one of {FIELD_FORMS}, got {field!r}")
    if field in ("regular", "trivial", "point"):
        return field
    if field.startswith("quotient:"):
        parse_quotient(field, group)
        return field
    raise ValueError(f"field must be one of {FIELD_FORMS}, got {field!r}")


def check_spec(spec) -> dict:
    """Validate one field spec; returns it unchanged (ValueError naming the bad value)."""
    if not isinstance(spec, dict) or "family" not in spec:
        raise ValueError(f"a field spec is a dict with a 'family' key, got {spec!r}")
    family = spec["family"]
    if family == "mlp":
        return spec
    if family in ("cnn", "steerable"):
        m = _int_key(spec, "grid", 1)
        k = _int_key(spec, "kernel", 1)
        if k > m:
            raise ValueError(f"kernel k = {k} must be <= grid m = {m} (no wrap-around)")
        group = spec.get("group", "C1") if family == "steerable" else "C1"
        if group not in SQUARE_GROUPS + HEX_GROUPS:
            raise ValueError(f"group must be one of {' '.join(SQUARE_GROUPS)} (square lattice) or "
                             f"{' '.join(HEX_GROUPS)} (hexagonal lattice), got {group!r}")
        if k % 2 == 0 and group != "C1":
            raise ValueError(f"kernel k = {k} must be odd for group {group} (even k only for C1)")
        if family == "steerable":
            if "group" not in spec or "field" not in spec:
                raise ValueError(f"a steerable spec needs 'group' and 'field', got {spec}")
            check_field(spec["field"], group)
        return spec
    if family == "perm":
        _int_key(spec, "n", 1)
        _int_key(spec, "order", 0)
        sub = spec.get("subgroup", "S")
        if not isinstance(sub, str) or (sub not in PERM_SUBGROUPS
                                        and not all(_CYCLES_RE.match(g) for g in sub.split(","))):
            raise ValueError(f"subgroup must be S, A, C, D or generators in 1-based cycle notation "
                             f"separated by commas, e.g. '(1 2)(3 4),(1 2 3)'; got {sub!r}")
        return spec
    raise ValueError(f"family must be one of mlp, cnn, steerable, perm; got {family!r}")


def check_compatible(spec_a: dict, spec_b: dict, where: str = "") -> None:
    """Two specs can be joined by a layer iff they describe the same group (DESIGN.md)."""
    check_spec(spec_a)
    check_spec(spec_b)
    at = f" ({where})" if where else ""
    if spec_a["family"] != spec_b["family"]:
        raise ValueError(f"incompatible field types{at}: family {spec_a['family']!r} -> {spec_b['family']!r} "
                         f"(specs {spec_a} and {spec_b})")
    for key in SHARED_KEYS[spec_a["family"]]:
        va = spec_a.get(key, "S" if key == "subgroup" else None)
        vb = spec_b.get(key, "S" if key == "subgroup" else None)
        if va != vb:
            raise ValueError(f"incompatible field types{at}: {key} {va!r} -> {vb!r} "
                             f"(specs {spec_a} and {spec_b} describe different groups)")
