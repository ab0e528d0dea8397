"""Closed forms of |B| and ||B||: hand oracles, brute-force orbit counting, symbolic = numeric."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from bounds_oracles import lattice_support, perm_orbits
from hypothesis import given
from hypothesis import strategies as st

from bounds import basis_dim, basis_dim_expr, basis_norm, basis_norm_expr, sizes
from bounds.perm_groups import fixed_point_histogram, perm_basis_dim

SQUARE = ("C1", "C2", "C4", "D1", "D2", "D4")
HEX = ("C3", "C6", "D3", "D6")


def steer(group, field, k=3, m=8):
    return {"family": "steerable", "grid": m, "kernel": k, "group": group, "field": field}


def perm(n, order, subgroup="S"):
    return {"family": "perm", "n": n, "order": order, "subgroup": subgroup}


def quotients(group):
    N, dihedral = int(group[1:]), group[0] == "D"
    return [f"quotient:C{d}" for d in range(1, N + 1) if N % d == 0] + (
        [f"quotient:D{d}" for d in range(1, N + 1) if N % d == 0] if dihedral else []
    )


# ------------------------------------------------------------------ hand-computed oracles
@pytest.mark.parametrize(
    "group, field, k, dim",
    [
        ("C4", "regular", 3, 36),
        ("D4", "regular", 3, 72),
        ("C4", "regular", 5, 100),
        ("D4", "regular", 5, 200),
        ("C4", "trivial", 5, 7),
        ("D4", "trivial", 5, 6),
        ("C1", "trivial", 3, 9),
        ("C1", "regular", 5, 25),
        ("C3", "trivial", 5, 7),
        ("C6", "trivial", 5, 4),
        ("D3", "trivial", 5, 6),
        ("D6", "trivial", 5, 4),
    ],
)
def test_lattice_dimension_oracles(group, field, k, dim):
    assert basis_dim(steer(group, field, k), steer(group, field, k)) == dim


def test_mlp_and_cnn_closed_forms():
    assert basis_dim({"family": "mlp"}, {"family": "mlp"}) == 1
    assert basis_norm({"family": "mlp"}, {"family": "mlp"}) == 1.0
    for k in (1, 2, 3, 4, 5, 7):
        spec = {"family": "cnn", "grid": 9, "kernel": k}
        assert basis_dim(spec, spec) == k * k
        assert basis_norm(spec, spec) == k * k


@pytest.mark.parametrize(
    "k, l, n, dim",
    [
        (1, 1, 5, 2),
        (1, 0, 5, 1),
        (2, 0, 5, 2),
        (1, 2, 5, 5),
        (2, 1, 5, 5),
        (2, 2, 4, 15),
        (2, 2, 9, 15),
        (2, 2, 2, 8),
        (2, 2, 3, 14),
        (3, 3, 6, 203),
        (3, 3, 10, 203),
        (0, 0, 3, 1),
    ],
)
def test_sn_dimension_oracles(k, l, n, dim):
    assert basis_dim(perm(n, k), perm(n, l)) == dim


@pytest.mark.parametrize("t", range(0, 9))
def test_sn_is_bell_for_large_n(t):
    assert perm_basis_dim(t + 3, "S", t // 2, t - t // 2) == int(sp.bell(t))


@pytest.mark.parametrize("t, n", [(t, n) for t in range(7) for n in range(1, 8)])
def test_sn_is_stirling_sum(t, n):
    from sympy.functions.combinatorial.numbers import stirling

    assert perm_basis_dim(n, "S", t, 0) == sum(stirling(t, j) for j in range(min(n, t) + 1))


@pytest.mark.parametrize("n", range(1, 8))
def test_alternating_equals_symmetric_when_n_at_least_t_plus_2(n):
    # A_n is (n-2)-transitive: same orbits as S_n on [n]^t for t <= n - 2
    for t in range(0, n - 1):
        assert perm_basis_dim(n, "A", t, 0) == perm_basis_dim(n, "S", t, 0)


# ------------------------------------------------------------------ brute-force Burnside
@pytest.mark.parametrize("subgroup", ["S", "A", "C", "D"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_perm_dimension_equals_orbit_count(subgroup, n):
    for t in range(0, 5 if n <= 4 else 4):
        for k in range(t + 1):
            assert basis_dim(perm(n, k, subgroup), perm(n, t - k, subgroup)) == perm_orbits(n, subgroup, t), (n, t, k)


def test_explicit_generators_enumerated():
    assert fixed_point_histogram("(1 2 3 4)", 4)[0] == 4
    assert fixed_point_histogram("(1 2)(3 4),(1 2 3)", 4)[0] == 12  # A_4
    for t in range(5):
        assert perm_basis_dim(4, "(1 2)(3 4),(1 2 3)", t, 0) == perm_basis_dim(4, "A", t, 0)
        assert perm_basis_dim(5, "(1 2 3 4 5),(2 5)(3 4)", t, 0) == perm_basis_dim(5, "D", t, 0)
        assert perm_basis_dim(4, "(1 2),(1 2 3 4)", t, 0) == perm_basis_dim(4, "S", t, 0)


LATTICE_CASES = [
    (g, f_in, f_out, k, m)
    for g, k, m in [
        ("C4", 3, 4),
        ("D4", 3, 3),
        ("C2", 3, 4),
        ("D2", 3, 3),
        ("D1", 3, 3),
        ("C1", 2, 3),
        ("C3", 3, 3),
        ("D3", 3, 3),
        ("C6", 3, 3),
        ("D6", 3, 3),
    ]
    for f_in in ["regular", "trivial", "point"] + quotients(g)[:2]
    for f_out in ["regular", "trivial"] + quotients(g)[-1:]
] + [
    ("D6", "trivial", "trivial", 5, 5),
    ("D6", "quotient:D2", "trivial", 5, 5),
    ("D4", "quotient:D2", "quotient:C2", 5, 5),
]


@pytest.mark.parametrize("group, f_in, f_out, k, m", LATTICE_CASES)
def test_lattice_closed_forms_equal_brute_force(group, f_in, f_out, k, m):
    S, orbits = lattice_support(group, f_in, f_out, k, m)
    a, b = steer(group, f_in, k, m), steer(group, f_out, k, m)
    assert basis_dim(a, b) == orbits
    assert basis_norm(a, b) == pytest.approx(np.linalg.norm(S.astype(float), 2), rel=1e-12)
    # and the transposed pair
    S_t, orbits_t = lattice_support(group, f_out, f_in, k, m)
    assert basis_dim(b, a) == orbits_t == orbits


def test_hexagonal_reflection_axes_k7():
    # r = 3: lattice-vector axes hold 7 offsets, edge-midpoint axes 2*1 + 1 = 3 (only D6 has both)
    for group in ("D3", "D6"):
        S, orbits = lattice_support(group, "trivial", "trivial", 7, 7)
        assert basis_dim(steer(group, "trivial", 7, 7), steer(group, "trivial", 7, 7)) == orbits
    assert (
        basis_dim(steer("D6", "trivial", 7, 7), steer("D6", "trivial", 7, 7)) == (37 + 5 * 1 + 3 * 7 + 3 * 3) // 12
    )  # e, 5 rotations, 3 + 3 axes


# ------------------------------------------------------------------ symbolic = numeric
@given(group=st.sampled_from(SQUARE + HEX), data=st.data())
def test_lattice_expressions_evaluate_to_numbers(group, data):
    fields = ["regular", "trivial", "point"] + quotients(group)
    f_in, f_out = data.draw(st.sampled_from(fields)), data.draw(st.sampled_from(fields))
    k = data.draw(st.integers(1, 9).filter(lambda k: k % 2 == 1 or group == "C1"))
    m = data.draw(st.integers(k, 12))
    a, b = steer(group, f_in, k, m), steer(group, f_out, k, m)
    sub = sizes(a, b)
    assert basis_dim_expr(a, b).subs(sub) == basis_dim(a, b)
    assert float(basis_norm_expr(a, b).subs(sub)) == pytest.approx(basis_norm(a, b), rel=1e-12)


@given(
    subgroup=st.sampled_from(["S", "A", "C", "D", "(1 2 3)", "(1 2)(3 4),(1 3)"]),
    n=st.integers(4, 9),
    k=st.integers(0, 3),
    l=st.integers(0, 3),
)
def test_perm_expressions_evaluate_to_numbers(subgroup, n, k, l):
    a, b = perm(n, k, subgroup), perm(n, l, subgroup)
    sub = sizes(a, b)
    assert sp.Integer(basis_dim_expr(a, b).subs(sub).doit()) == basis_dim(a, b)
    assert basis_norm(a, b) == pytest.approx(math.sqrt(n**k * n**l), rel=1e-12)
    assert float(basis_norm_expr(a, b).subs(sub)) == pytest.approx(basis_norm(a, b), rel=1e-12)


def test_closed_forms_are_symbolic_in_the_sizes():
    k = sp.Symbol("k", positive=True, integer=True)
    assert sp.simplify(basis_dim_expr(steer("C4", "regular"), steer("C4", "regular")) - 4 * k**2) == 0
    assert sp.simplify(basis_dim_expr(steer("D4", "trivial"), steer("D4", "trivial")) - (k + 1) * (k + 3) / 8) == 0
    assert basis_dim_expr({"family": "cnn", "grid": 8, "kernel": 3}, {"family": "cnn", "grid": 8, "kernel": 3}) == k**2
    expr = basis_dim_expr(perm(6, 2), perm(6, 2))
    assert expr.has(sp.bell)
