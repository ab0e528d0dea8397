"""Orbital bases: dimension oracles, Burnside, nullspace span, closed forms, norms."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructions import (
    basis_from_specs,
    basis_norm,
    equivariant_nullspace,
    lattice_action,
    orbital_basis,
    partition_basis,
    perron_norm,
    tensor_action,
)
from constructions.nullspace import perm_matrix
from constructions.orbital import burnside_count


def steer(group, field, grid=6, kernel=3):
    return dict(family="steerable", grid=grid, kernel=kernel, group=group, field=field)


@pytest.mark.parametrize(
    "spec_in,spec_out,dim",
    [
        (dict(family="mlp"), dict(family="mlp"), 1),
        (dict(family="cnn", grid=8, kernel=3), dict(family="cnn", grid=8, kernel=3), 9),
        (dict(family="cnn", grid=8, kernel=4), dict(family="cnn", grid=8, kernel=4), 16),
        (dict(family="cnn", grid=8, kernel=5), dict(family="cnn", grid=8, kernel=5), 25),
        (steer("C4", "regular", 8, 3), steer("C4", "regular", 8, 3), 36),
        (steer("D4", "regular", 8, 3), steer("D4", "regular", 8, 3), 72),
        (steer("C4", "regular", 8, 5), steer("C4", "regular", 8, 5), 100),
        (steer("D4", "regular", 8, 5), steer("D4", "regular", 8, 5), 200),
        (steer("C4", "trivial", 8, 5), steer("C4", "trivial", 8, 5), 7),
        (steer("D4", "trivial", 8, 5), steer("D4", "trivial", 8, 5), 6),
    ],
)
def test_dimension_oracles_lattice(spec_in, spec_out, dim):
    basis = basis_from_specs(spec_in, spec_out)
    assert basis.dim == dim
    assert burnside_count(basis) == dim


@pytest.mark.parametrize(
    "k,l,n,dim",
    [
        (1, 1, 5, 2),
        (1, 0, 5, 1),
        (2, 0, 5, 2),
        (1, 2, 5, 5),
        (2, 1, 5, 5),
        (2, 2, 4, 15),
        (2, 2, 6, 15),
        (2, 2, 2, 8),
        (2, 2, 3, 14),
        (3, 3, 6, 203),
    ],
)
def test_dimension_oracles_Sn(k, l, n, dim):
    assert partition_basis(n, k, l).dim == dim
    if n ** (k + l) <= 50_000:
        generic = orbital_basis(tensor_action(n, k), tensor_action(n, l))
        assert generic.dim == dim


def test_bell_numbers():
    for size, bell in enumerate([1, 1, 2, 5, 15, 52, 203, 877, 4140]):
        k = min(size, 6)
        assert partition_basis(max(size, 1), k, size - k).dim == bell


# ---------------------------------------------------------------- property tests
lattice_cases = st.tuples(
    st.sampled_from(["C1", "C2", "C4", "D1", "D2", "D4", "C3", "C6", "D3", "D6"]),
    st.sampled_from(["regular", "trivial", "quotient:C1", "quotient:C2", "quotient:D1", "point"]),
    st.sampled_from(["regular", "trivial", "quotient:C2", "point"]),
    st.integers(3, 4),
    st.sampled_from([1, 3]),
)


def _lattice_specs(case):
    group, f_in, f_out, grid, kernel = case
    kind, N = group[0], int(group[1:])

    def ok(field):
        if not field.startswith("quotient:"):
            return True
        sub = field.split(":")[1]
        return N % int(sub[1:]) == 0 and not (sub[0] == "D" and kind == "C")

    if not (ok(f_in) and ok(f_out)):
        return None
    return steer(group, f_in, grid, kernel), steer(group, f_out, grid, kernel)


def _small_nullspace_ok(basis):
    return basis.shape[0] * basis.shape[1] <= 4096


@given(lattice_cases)
def test_lattice_basis_equals_union_find_burnside_and_nullspace(case):
    specs = _lattice_specs(case)
    if specs is None:
        return
    basis = basis_from_specs(*specs)
    # the quotient construction equals plain union-find on the same support, ids included
    generic = orbital_basis(basis.action_in, basis.action_out, support=(basis.rows, basis.cols))
    assert generic.dim == basis.dim
    assert np.array_equal(generic.rows, basis.rows) and np.array_equal(generic.cols, basis.cols)
    assert np.array_equal(generic.ids, basis.ids)
    assert burnside_count(basis) == basis.dim
    _check_orbital_properties(basis)
    if _small_nullspace_ok(basis) and (case[4] >= case[3] or "point" in (case[1], case[2])):
        _check_span_equals_nullspace(basis)


perm_cases = st.tuples(
    st.integers(1, 4), st.integers(0, 2), st.integers(0, 2), st.sampled_from(["S", "A", "C", "D", "(1 2)", "(1 2 3)"])
)


@given(perm_cases)
def test_perm_bases_burnside_and_nullspace(case):
    n, k, l, sub = case
    if sub.startswith("(") and int(sub.strip("()").split()[-1]) > n:
        return
    spec = dict(family="perm", n=n, subgroup=sub)
    basis = basis_from_specs(dict(spec, order=k), dict(spec, order=l))
    assert burnside_count(basis) == basis.dim
    _check_orbital_properties(basis)
    if _small_nullspace_ok(basis):
        _check_span_equals_nullspace(basis)


@given(st.integers(1, 5), st.integers(0, 2), st.integers(0, 2))
def test_partition_closed_form_equals_union_find(n, k, l):
    closed = partition_basis(n, k, l)
    generic = orbital_basis(tensor_action(n, k), tensor_action(n, l))
    assert closed.dim == generic.dim
    # same partition of Y x X into orbits: the id maps are a bijection
    pairs = set(zip(closed.ids.tolist(), generic.ids.tolist()))
    assert len(pairs) == closed.dim
    assert np.array_equal(closed.counts.sum(), generic.counts.sum())


def _check_orbital_properties(basis):
    E = basis.dense_elements()
    # 0/1 entries, disjoint supports covering exactly the support
    assert set(np.unique(E)) <= {0.0, 1.0}
    cover = E.sum(axis=0)
    assert cover.max() <= 1
    assert int(cover.sum()) == basis.rows.size
    # every element is equivariant: rho_Y(g) b rho_X(g)^T = b for each generator
    for gx, gy in zip(basis.action_in.perms, basis.action_out.perms):
        Px, Py = perm_matrix(gx), perm_matrix(gy)
        assert np.array_equal(Py @ E.reshape(basis.dim, *basis.shape) @ Px.T, E)


def _check_span_equals_nullspace(basis):
    """Full support: the orbital basis spans exactly Hom_G (equal dimension and rank)."""
    E = basis.dense_elements().reshape(basis.dim, -1)
    null = equivariant_nullspace(basis.action_in, basis.action_out).reshape(-1, E.shape[1])
    full = basis.rows.size == basis.shape[0] * basis.shape[1]
    if full:
        assert null.shape[0] == basis.dim
    # orbital elements lie in the nullspace: projecting onto it changes nothing
    proj = E @ null.T @ null
    assert np.allclose(proj, E, atol=1e-9)
    assert np.linalg.matrix_rank(E) == basis.dim


def test_nullspace_oracle_can_fail():
    """A non-equivariant matrix is NOT in the span: the oracle distinguishes."""
    basis = partition_basis(3, 1, 1)
    null = equivariant_nullspace(basis.action_in, basis.action_out).reshape(-1, 9)
    bad = np.zeros(9)
    bad[1] = 1.0  # a single off-diagonal entry
    assert not np.allclose(bad @ null.T @ null, bad)


# ---------------------------------------------------------------- norms
@pytest.mark.parametrize(
    "spec_in,spec_out",
    [
        (steer("C4", "regular", 5, 3), steer("C4", "regular", 5, 3)),
        (steer("D4", "trivial", 5, 3), steer("D4", "regular", 5, 3)),
        (steer("D6", "regular", 5, 3), steer("D6", "point", 5, 3)),
        (steer("C4", "quotient:C2", 5, 3), steer("C4", "regular", 5, 3)),
        (dict(family="perm", n=4, order=2, subgroup="C"), dict(family="perm", n=4, order=1, subgroup="C")),
        (dict(family="perm", n=4, order=2), dict(family="perm", n=4, order=2)),
    ],
)
def test_basis_norm_equals_svd_of_sum(spec_in, spec_out):
    basis = basis_from_specs(spec_in, spec_out)
    S = basis.dense_elements().sum(axis=0)
    assert basis_norm(basis) == pytest.approx(np.linalg.norm(S, 2), rel=1e-12)


@pytest.mark.parametrize(
    "basis",
    [
        partition_basis(3, 1, 1),
        partition_basis(3, 2, 1),
        partition_basis(2, 2, 2),
        basis_from_specs(steer("D2", "trivial", 3, 3), steer("D2", "trivial", 3, 3)),
    ],
    ids=["S3 1-1", "S3 2-1", "S2 2-2", "D2 trivial"],
)
def test_basis_norm_is_max_over_sign_patterns(basis):
    """||B|| = max over |beta| <= 1 of ||sum beta_k b_k|| (attained at a vertex: brute force)."""
    E = basis.dense_elements()
    best = max(
        np.linalg.norm(np.tensordot(np.array(signs), E, 1), 2)
        for signs in itertools.product([-1.0, 1.0], repeat=basis.dim)
    )
    assert basis_norm(basis) == pytest.approx(best, rel=1e-12)


def test_perron_norm_with_weights_equals_dense_svd():
    rng = np.random.default_rng(3)
    for basis in (
        basis_from_specs(steer("D4", "regular", 4, 3), steer("D4", "quotient:D1", 4, 3)),
        partition_basis(4, 2, 1),
        orbital_basis(tensor_action(4, 2, "D"), tensor_action(4, 2, "D")),
    ):
        w = rng.uniform(0, 1, (3, 2, basis.dim))
        assert perron_norm(basis, w) == pytest.approx(np.linalg.norm(basis.dense(w), 2), rel=1e-10)
    with pytest.raises(ValueError, match="nonnegative"):
        perron_norm(basis, -w)


def test_closed_form_norms():
    assert basis_norm(partition_basis(64, 2, 2)) == pytest.approx(64**2)
    assert basis_norm(partition_basis(7, 3, 1)) == pytest.approx(np.sqrt(7**4))
    s = steer("D4", "regular", 28, 5)
    assert basis_norm(basis_from_specs(s, s)) == pytest.approx(25 * 8)


def test_support_must_be_invariant():
    act = lattice_action(3, "C4", "trivial")
    with pytest.raises(ValueError, match="not G-invariant"):
        orbital_basis(act, act, support=(np.array([0]), np.array([1])))


def test_mismatched_fields_are_clear_errors():
    with pytest.raises(ValueError, match="incompatible consecutive field types"):
        basis_from_specs(steer("C4", "regular"), steer("D4", "regular"))
    with pytest.raises(ValueError, match="incompatible consecutive field types"):
        basis_from_specs(dict(family="perm", n=4, order=1), dict(family="perm", n=5, order=1))
    with pytest.raises(ValueError, match="different groups"):
        orbital_basis(tensor_action(4, 1), lattice_action(2, "C1", "trivial"))
