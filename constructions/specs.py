"""From field specs (plain dicts, DESIGN.md) to exact actions and orbital bases."""
from __future__ import annotations

from dataclasses import replace

from .lattice import check_grid, lattice_action, lattice_basis
from .orbital import orbital_basis
from .partition import partition_basis
from .perm import check_n, check_order, tensor_action

FAMILIES = ("mlp", "cnn", "steerable", "perm")
_GROUP_KEYS = {"mlp": (), "cnn": ("grid", "kernel"), "steerable": ("grid", "kernel", "group"),
               "perm": ("n", "subgroup")}


def normalize_spec(spec: dict) -> dict:
    """Validate a field spec and fill defaults; cnn becomes steerable C1 with a trivial field."""
    if not isinstance(spec, dict) or spec.get("family") not in FAMILIES:
        raise ValueError(f"a field spec is a dict with 'family' in {FAMILIES}, got {spec!r}")
    fam = spec["family"]
    if fam == "mlp":
        return {"family": "mlp"}
    if fam in ("cnn", "steerable"):
        for key in ("grid", "kernel"):
            if key not in spec:
                raise ValueError(f"{fam} field spec needs {key!r}: {spec!r}")
        grid = check_grid(spec["grid"])
        group = "C1" if fam == "cnn" else spec.get("group", "C4")
        field = "trivial" if fam == "cnn" else spec.get("field", "regular")
        return {"family": "steerable", "grid": grid, "kernel": spec["kernel"], "group": group, "field": field}
    if "n" not in spec:
        raise ValueError(f"perm field spec needs 'n': {spec!r}")
    return {"family": "perm", "n": check_n(spec["n"]), "order": check_order(spec.get("order", 1)),
            "subgroup": spec.get("subgroup", "S")}


def check_compatible(spec_in: dict, spec_out: dict) -> tuple[dict, dict]:
    a, b = normalize_spec(spec_in), normalize_spec(spec_out)
    keys = ("family",) + _GROUP_KEYS[a["family"]]
    if any(a.get(k) != b.get(k) for k in keys):
        raise ValueError(f"incompatible consecutive field types (not the same group): {spec_in!r} -> {spec_out!r}")
    return a, b


def action_from_spec(spec: dict):
    """The exact permutation action of a field spec."""
    s = normalize_spec(spec)
    if s["family"] == "mlp":
        from .actions import Action
        import numpy as np
        return Action("trivial", np.zeros((1, 1), dtype=np.int64), "one point (MLP channel)", 1)
    if s["family"] == "steerable":
        return lattice_action(s["grid"], s["group"], s["field"])
    return tensor_action(s["n"], s["order"], s["subgroup"])


def basis_from_specs(spec_in: dict, spec_out: dict):
    """The orbital basis of Hom_G between two compatible field specs.

    steerable/cnn: Z_m^2 ⋊ H with kernel locality (lattice.lattice_basis); perm with the
    full S_n: the closed-form partition basis (einsum, any n); perm subgroups and mlp: the
    generic union-find orbital basis.
    """
    a, b = check_compatible(spec_in, spec_out)
    fam = a["family"]
    if fam == "steerable":
        from .lattice import kernel_offsets
        kernel_offsets(a["group"], a["kernel"], a["grid"])  # validates kernel vs grid and group
        basis = lattice_basis(a["grid"], a["group"], a["field"], b["field"], a["kernel"])
    elif fam == "perm" and a["subgroup"] == "S":
        return partition_basis(a["n"], a["order"], b["order"])
    else:
        basis = orbital_basis(action_from_spec(a), action_from_spec(b), name=f"{fam} {_label(a)} -> {_label(b)}")
    return replace(basis, spec_in=a, spec_out=b)


def _label(spec: dict) -> str:
    if spec["family"] == "perm":
        return f"S_{spec['n']}" + ("" if spec["subgroup"] == "S" else f" subgroup {spec['subgroup']}") \
            + f" order {spec['order']}"
    return spec["family"]
