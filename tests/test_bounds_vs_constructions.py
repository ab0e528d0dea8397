"""Closed-form |B| and ||B|| (bounds) equal the computed bases of `constructions`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bounds
from constructions import basis_from_specs
from constructions import basis_norm as computed_norm

SQUARE = ("C1", "C2", "C4", "D1", "D2", "D4")
HEX = ("C3", "C6", "D3", "D6")


def quotients(group):
    N, dihedral = int(group[1:]), group[0] == "D"
    divisors = [d for d in range(1, N + 1) if N % d == 0]
    return [f"quotient:C{d}" for d in divisors] + ([f"quotient:D{d}" for d in divisors] if dihedral else [])


@st.composite
def lattice_pair(draw):
    family = draw(st.sampled_from(["cnn", "steerable"]))
    if family == "cnn":
        k = draw(st.integers(1, 6))
        m = draw(st.integers(k, 9))
        spec = {"family": "cnn", "grid": m, "kernel": k}
        return spec, dict(spec)
    group = draw(st.sampled_from(SQUARE + HEX))
    k = draw(st.sampled_from([1, 3, 5, 7] + ([2, 4] if group == "C1" else [])))
    m = draw(st.integers(k, k + 3))
    fields = ["regular", "trivial", "point"] + quotients(group)
    base = {"family": "steerable", "grid": m, "kernel": k, "group": group}
    return dict(base, field=draw(st.sampled_from(fields))), dict(base, field=draw(st.sampled_from(fields)))


@st.composite
def perm_pair(draw):
    n = draw(st.integers(1, 7))
    subgroup = draw(st.sampled_from(["S", "A", "C", "D"] + (["(1 2)", "(1 2 3),(1 2)"] if n >= 3 else [])))
    k, l = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    return (
        {"family": "perm", "n": n, "order": k, "subgroup": subgroup},
        {"family": "perm", "n": n, "order": l, "subgroup": subgroup},
    )


def check(spec_in, spec_out):
    basis = basis_from_specs(spec_in, spec_out)
    assert bounds.basis_dim(spec_in, spec_out) == basis.dim, (spec_in, spec_out)
    assert bounds.basis_norm(spec_in, spec_out) == pytest.approx(computed_norm(basis), rel=1e-9), (spec_in, spec_out)


@settings(max_examples=150)
@given(pair=lattice_pair())
def test_lattice_closed_forms_equal_computed_bases(pair):
    check(*pair)


@settings(max_examples=100)
@given(pair=perm_pair())
def test_perm_closed_forms_equal_computed_bases(pair):
    check(*pair)


def test_mlp_closed_form_equals_computed_basis():
    check({"family": "mlp"}, {"family": "mlp"})


@pytest.mark.parametrize("group", SQUARE + HEX)
def test_every_group_and_field_pair(group):
    k = 3
    fields = ["regular", "trivial", "point"] + quotients(group)
    for f_in in fields:
        for f_out in fields:
            base = {"family": "steerable", "grid": 4, "kernel": k, "group": group}
            check(dict(base, field=f_in), dict(base, field=f_out))


def test_network_layers_from_specs_match_computed_bases():
    specs = [
        {"family": "steerable", "grid": 6, "kernel": 3, "group": "D4", "field": f}
        for f in ("trivial", "regular", "quotient:C2", "point")
    ]
    for i, layer in enumerate(bounds.layers_from_specs(specs, [1, 2, 3, 4]), 1):
        assert layer["basis_dim"] == basis_from_specs(specs[i - 1], specs[i]).dim
        assert layer["hidden_basis_dim"] == basis_from_specs(specs[i - 1], specs[i - 1]).dim
