"""groups: point groups are groups (axioms checked element by element), their matrices a
faithful representation, subgroups and cosets right; S_n subgroups have their orders; field
types round-trip, follow the defaults rule and the "same group" rule."""

import itertools
import math

import numpy as np
import pytest

from groups import (
    EXACT_GROUPS,
    FAMILIES,
    FieldType,
    PointGroup,
    check_compatible,
    check_subgroup,
    field_type,
    parse_cycles,
    point_group,
    subgroup_elements,
    subgroup_generators,
)


def divisor_subgroups(H):
    ds = [d for d in range(1, H.N + 1) if H.N % d == 0]
    return [f"C{d}" for d in ds] + ([f"D{d}" for d in ds] if H.dihedral else [])


@pytest.mark.parametrize("name", EXACT_GROUPS)
def test_point_group_axioms(name):
    H = point_group(name)
    els = H.elements
    assert len(set(els)) == H.order == len(els)
    for a in els:
        assert H.compose(H.identity, a) == a == H.compose(a, H.identity)
        assert H.compose(H.inverse(a), a) == H.identity == H.compose(a, H.inverse(a))
        for b in els:
            assert H.compose(a, b) in els
    for a, b, c in itertools.product(els, repeat=3):
        assert H.compose(H.compose(a, b), c) == H.compose(a, H.compose(b, c))


@pytest.mark.parametrize("name", EXACT_GROUPS)
def test_matrices_are_a_faithful_representation_and_generators_generate(name):
    H = point_group(name)
    M = H.matrices
    assert len({m.tobytes() for m in M}) == H.order
    for a, b in itertools.product(H.elements, repeat=2):
        assert np.array_equal(M[H.index(H.compose(a, b))], M[H.index(a)] @ M[H.index(b)])
        assert H.table[H.index(a), H.index(b)] == H.index(H.compose(a, b))
    reached, frontier = {H.identity}, [H.identity]
    while frontier:
        frontier = [H.compose(g, s) for g in frontier for s in H.generators if H.compose(g, s) not in reached]
        reached |= set(frontier)
    assert reached == set(H.elements)


@pytest.mark.parametrize("name", EXACT_GROUPS)
def test_subgroups_and_coset_actions(name):
    H = point_group(name)
    for sub in divisor_subgroups(H):
        K = H.subgroup(sub)
        d = int(sub[1:])
        assert len(K) == d * (2 if sub[0] == "D" else 1)
        assert all(H.compose(a, H.inverse(b)) in K for a in K for b in K)  # a subgroup
        act = H.cosets(sub)
        assert act.shape == (H.order, H.order // len(K))
        for a, b in itertools.product(H.elements, repeat=2):  # an action of H on H/K
            assert np.array_equal(act[H.index(H.compose(a, b))], act[H.index(a)][act[H.index(b)]])
        assert np.array_equal(act[H.index(H.identity)], np.arange(act.shape[1]))


@pytest.mark.parametrize("bad", ["C8", "C5", "D12", "D8"])
def test_only_exact_groups_exist(bad):
    msg = (
        f"{bad} does not act exactly on a pixel lattice; the exact rotation groups are C1, C2, C4, D1, D2, D4 "
        f"(square lattice) and C3, C6, D3, D6 (hexagonal lattice)"
    )
    for make in (point_group, PointGroup):
        with pytest.raises(ValueError) as info:
            make(bad)
        assert str(info.value) == msg
    assert point_group("D4") is point_group("D4")


def test_subgroup_errors_name_d_and_N():
    H = point_group("C4")
    with pytest.raises(ValueError, match="d = 3 must divide N = 4"):
        H.subgroup("C3")
    with pytest.raises(ValueError, match="C4 has no reflections"):
        H.subgroup("D1")
    with pytest.raises(ValueError, match="C<d> or D<d>"):
        H.subgroup("C_2")


@pytest.mark.parametrize("n", range(1, 7))
def test_named_subgroups_of_Sn_have_their_orders(n):
    orders = {"S": math.factorial(n), "A": max(math.factorial(n) // 2, 1), "C": n, "D": 2 * n if n > 2 else n}
    for sub, order in orders.items():
        gens, _, declared = subgroup_generators(n, sub)
        assert len(subgroup_elements(n, sub)) == order == declared
        assert all(sorted(g) == list(range(n)) for g in gens)


def test_cycle_notation_is_parsed_and_canonicalised():
    assert check_subgroup(" (1 2)( 3 4 ) , (1 2 3)", 4) == "(1 2)(3 4),(1 2 3)"
    assert check_subgroup("()", 3) == "()"
    assert parse_cycles("(1 2)(3 4),(1 2 3)", 4).tolist() == [[1, 0, 3, 2], [1, 2, 0, 3]]
    assert len(subgroup_elements(4, "(1 2)(3 4),(1 2 3)")) == 12  # A_4
    for bad, msg in [
        ("(1 5)", "outside 1..4"),
        ("(1 2)(2 3)", "appears twice"),
        ("1 2", "cycle notation"),
        ("", "cycle notation"),
        ("(1,2)", "cycle notation"),
        (3, "cycle notation"),
    ]:
        with pytest.raises(ValueError, match=msg):
            check_subgroup(bad, 4)


SPECS = [
    {"family": "mlp"},
    {"family": "cnn", "grid": 5, "kernel": 2},
    {"family": "steerable", "grid": 6, "kernel": 3, "group": "D6", "field": "quotient:D3"},
    {"family": "perm", "n": 5, "order": 2, "subgroup": "(1 2 3 4 5)"},
]


@pytest.mark.parametrize("spec", SPECS)
def test_field_types_round_trip_and_hash(spec):
    ft = field_type(spec)
    assert ft.to_spec() == spec
    assert field_type(ft.to_spec()) == ft and hash(field_type(dict(spec))) == hash(ft)
    assert field_type(ft) is ft
    assert list(ft.to_spec()) == ["family", *FAMILIES[spec["family"]].all_keys]


def test_defaults_rule_only_subgroup_has_a_default():
    assert field_type({"family": "perm", "n": 3, "order": 1}).subgroup == "S"
    for spec, key in [
        ({"family": "steerable", "grid": 5, "kernel": 3}, "group"),
        ({"family": "steerable", "grid": 5, "kernel": 3, "group": "C4"}, "field"),
        ({"family": "perm", "n": 3}, "order"),
        ({"family": "cnn", "kernel": 3}, "grid"),
    ]:
        with pytest.raises(ValueError, match=f"needs the key '{key}'"):
            field_type(spec)
    for spec, key in [
        ({"family": "cnn", "grid": 5, "kernel": 3, "group": "C1"}, "group"),
        ({"family": "mlp", "n": 3}, "n"),
        ({"family": "perm", "n": 3, "order": 1, "junk": 0}, "junk"),
    ]:
        with pytest.raises(ValueError, match=f"key '{key}' does not belong to a {spec['family']} field spec"):
            field_type(spec)
    with pytest.raises(ValueError, match="does not belong"):
        FieldType("cnn", grid=5, kernel=3, group="C4")  # direct construction is validated too


def test_same_group_rule():
    cnn = {"family": "cnn", "grid": 5, "kernel": 3}
    c1 = {"family": "steerable", "grid": 5, "kernel": 3, "group": "C1", "field": "regular"}
    assert check_compatible(cnn, c1) == (field_type(cnn), field_type(c1))  # cnn is steerable C1
    perm = {"family": "perm", "n": 4, "order": 2}
    assert check_compatible(perm, dict(perm, order=0, subgroup="S"))
    for a, b, shown in [
        (cnn, dict(cnn, kernel=5), "kernel 3 -> 5"),
        (cnn, {"family": "mlp"}, "family 'cnn' -> 'mlp'"),
        (c1, dict(c1, group="C2"), "group 'C1' -> 'C2'"),
        (perm, dict(perm, subgroup="(1 2)"), "subgroup 'S' -> '(1 2)'"),
    ]:
        with pytest.raises(ValueError, match="incompatible consecutive field types") as info:
            check_compatible(a, b, where="layer 2")
        assert shown in str(info.value) and "(layer 2)" in str(info.value)


@pytest.mark.parametrize("name", ["groups.point_groups", "groups.permutations", "groups.fields"])
def test_doctests(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
