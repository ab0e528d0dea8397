"""bounds and constructions accept and reject exactly the same field specs, with the same
message, and `slt width` reports the |B| and ||B|| of `slt basis` (issue 11, done-when).

The specs are drawn from a seeded generator: every family, odd and even kernels, kernels
larger than the grid, C8/C5/D12, quotient:C3 of C4, D_d of a cyclic group, bad cycle
strings, n = 0, order -1 and 7, bools/floats/strings/None for integers, missing keys and
foreign keys. Each is given to the public entry points of both packages (bounds'
closed forms, constructions' basis and action builders)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bounds
import constructions
from groups import EXACT_GROUPS
from slt.cli import main

JUNK_INTS = [0, -1, True, 2.0, "3", None]
GROUPS = list(EXACT_GROUPS) + ["C8", "C5", "D12", "c4", 4]
FIELDS = [
    "regular",
    "trivial",
    "point",
    "quotient:C2",
    "quotient:C3",
    "quotient:D1",
    "quotient:C1",
    "quotient:D3",
    "quotient:X",
    "quotient:C_2",
    "irrep",
    1,
]
SUBGROUPS = [
    "S",
    "A",
    "C",
    "D",
    "(1 2)",
    "(1 2)(3 4),(1 2 3)",
    " (1 2) , (2 3)",
    "(1 5)",
    "(1 2)(2 3)",
    "1 2",
    "",
    "()",
    "s",
    3,
]
FOREIGN = ["junk", "group", "field", "subgroup", "n", "kernel"]


def pick(rng, pool):
    return pool[rng.integers(len(pool))]


def draw_spec(rng) -> dict:
    family = pick(rng, ["mlp", "cnn", "steerable", "steerable", "steerable", "perm", "perm", "perm", "gnn", 3])
    spec = {"family": family}
    if family in ("cnn", "steerable"):
        grid = int(rng.integers(1, 7))
        spec["grid"] = grid if rng.random() < 0.9 else pick(rng, JUNK_INTS)
        spec["kernel"] = int(rng.integers(1, grid + 2)) if rng.random() < 0.9 else pick(rng, JUNK_INTS)
        if family == "steerable":
            spec["group"], spec["field"] = pick(rng, GROUPS), pick(rng, FIELDS)
    elif family == "perm":
        spec["n"] = int(rng.integers(1, 5)) if rng.random() < 0.85 else pick(rng, JUNK_INTS)
        spec["order"] = int(rng.integers(0, 3)) if rng.random() < 0.8 else pick(rng, [6, 7, -1, True, 1.0, "1", None])
        if spec["order"] == 6 and type(spec["order"]) is int:
            spec["n"] = 1  # order 6 is accepted; at n = 1 it is cheap to build
        if rng.random() < 0.7:
            spec["subgroup"] = pick(rng, SUBGROUPS)
    keys = [k for k in spec if k != "family"]
    if keys and rng.random() < 0.1:
        del spec[pick(rng, keys)]  # a missing key
    if rng.random() < 0.1:
        spec[pick(rng, FOREIGN)] = "C4"  # a key the family does not have (or a bad value for its own)
    return spec


def outcome(fn, *args):
    try:
        return "accepted", fn(*args)
    except ValueError as exc:
        return "rejected", str(exc)


def perturbed(rng, spec: dict) -> dict:
    """The same spec with one key redrawn: another field or order (compatible), or another
    grid, kernel, group, n or subgroup (incompatible), or another family."""
    keys = [k for k in spec if k != "family"]
    if not keys or rng.random() < 0.1:
        return draw_spec(rng)
    key = pick(rng, keys + [k for k in ("field", "order") if k in keys] * 3)
    while True:
        other = draw_spec(rng)
        if other["family"] == spec["family"] and key in other:
            return dict(spec, **{key: other[key]})


def test_bounds_and_constructions_agree_on_every_spec():
    rng = np.random.default_rng(11)
    specs = [draw_spec(rng) for _ in range(600)]
    verdicts = []
    for spec in specs:
        closed = outcome(lambda s: bounds.basis_dim(s, s), spec)
        built = outcome(lambda s: constructions.basis_from_specs(s, s).dim, spec)
        assert closed == built, spec  # same |B| when accepted, same message when rejected
        assert outcome(bounds.check_spec, spec)[0] == closed[0], spec
        action = outcome(lambda s: constructions.action_from_spec(s).size, spec)
        assert action[0] == closed[0] and (action[0] == "accepted" or action == closed), spec
        verdicts.append(closed)
    accepted = sum(v[0] == "accepted" for v in verdicts)
    messages = {v[1].split(",")[0][:30] for v in verdicts if v[0] == "rejected"}
    assert 150 < accepted < 450 and len(messages) > 25  # both sides well covered


def test_bounds_and_constructions_agree_on_every_pair():
    rng = np.random.default_rng(12)
    pairs = incompatible = 0
    for _ in range(300):
        a = draw_spec(rng)
        while outcome(bounds.check_spec, a)[0] == "rejected":  # a valid first spec, then one key redrawn
            a = draw_spec(rng)
        b = perturbed(rng, a)
        closed = outcome(bounds.basis_dim, a, b)
        built = outcome(lambda s, t: constructions.basis_from_specs(s, t).dim, a, b)
        assert closed == built, (a, b)
        pairs += closed[0] == "accepted" and a != b
        incompatible += closed[1].startswith("incompatible") if closed[0] == "rejected" else 0
    assert pairs > 30 and incompatible > 30


def flags(spec_in: dict, spec_out: dict, network: bool) -> list[str]:
    """The family flags of `slt basis` (network=False) or `slt width` that give these specs."""
    out = ["--family", spec_in["family"]]
    if spec_in["family"] in ("cnn", "steerable"):
        out += ["--grid", str(spec_in["grid"]), "--kernel", str(spec_in["kernel"])]
    if spec_in["family"] == "steerable":
        out += ["--group", spec_in["group"]]
        fields = [spec_in["field"], spec_out["field"]]
        out += ["--fields", *fields] if network else ["--field-in", fields[0], "--field-out", fields[1]]
    if spec_in["family"] == "perm":
        out += [
            "--n",
            str(spec_in["n"]),
            "--orders",
            str(spec_in["order"]),
            str(spec_out["order"]),
            "--subgroup",
            spec_in.get("subgroup", "S"),
        ]
    return out


def steer(group, f_in, f_out, grid=5, kernel=3):
    base = {"family": "steerable", "grid": grid, "kernel": kernel, "group": group}
    return dict(base, field=f_in), dict(base, field=f_out)


def perm(n, k, l, subgroup="S"):
    return {"family": "perm", "n": n, "order": k, "subgroup": subgroup}, {
        "family": "perm",
        "n": n,
        "order": l,
        "subgroup": subgroup,
    }


SAMPLE = [
    ({"family": "mlp"},) * 2,
    ({"family": "cnn", "grid": 5, "kernel": 3},) * 2,
    ({"family": "cnn", "grid": 4, "kernel": 2},) * 2,
    steer("C1", "regular", "trivial"),
    steer("C2", "regular", "quotient:C1"),
    steer("C4", "trivial", "regular"),
    steer("D1", "regular", "regular", kernel=5),
    steer("D2", "quotient:D1", "point"),
    steer("D4", "regular", "quotient:C2"),
    steer("C3", "regular", "trivial", grid=6),
    steer("C6", "quotient:C2", "regular"),
    steer("D3", "point", "regular"),
    steer("D6", "regular", "quotient:D3", grid=7, kernel=5),
    perm(5, 2, 1),
    perm(4, 1, 1, "A"),
    perm(5, 2, 0, "C"),
    perm(4, 1, 2, "D"),
    perm(4, 2, 2, "(1 2)(3 4),(1 2 3)"),
]


def test_cli_families_come_from_the_registry(capsys):
    from groups import FAMILIES
    from slt.family import FLAGS_BY_FAMILY

    assert list(FLAGS_BY_FAMILY) == list(FAMILIES)
    with pytest.raises(SystemExit):
        main(["basis", "--family", "gnn"])
    assert "choose from " + ", ".join(repr(f) for f in FAMILIES) in capsys.readouterr().err


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("spec_in,spec_out", SAMPLE)
def test_width_reports_the_basis_of_slt_basis(capsys, spec_in, spec_out):
    basis = run_json(capsys, ["basis", *flags(spec_in, spec_out, network=False), "--json"])
    width = run_json(
        capsys,
        [
            "width",
            *flags(spec_in, spec_out, network=True),
            "--channels",
            "2",
            "3",
            "--eps",
            "0.1",
            "--C",
            "2",
            "--json",
        ],
    )
    layer = width["layers"][0]
    assert basis["spec_in"] == width["specs"][0] and basis["spec_out"] == width["specs"][1]
    assert layer["basis_dim"] == basis["basis_dim"]
    assert layer["basis_norm"] == pytest.approx(basis["basis_norm"], rel=1e-9)
