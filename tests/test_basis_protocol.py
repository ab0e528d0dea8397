"""Every basis class implements the Basis protocol, and its members agree with each other
and with the dense matrix (float64, 1e-10): apply / apply_transpose / coeff_grad / op_norm /
fan_in against dense(); counts and orbit sizes against the dense basis elements;
input_orbit, diagonal_orbits and hidden_basis against their definitions."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from constructions import (
    Basis,
    OrbitalBasis,
    PartitionBasis,
    basis_from_specs,
    basis_norm,
    orbital_basis,
    partition_basis,
    tensor_action,
)
from constructions.mpnn import GraphBasis


def steer(group, field, grid=4, kernel=3):
    return {"family": "steerable", "grid": grid, "kernel": kernel, "group": group, "field": field}


def perm(n, k, sub="S"):
    return {"family": "perm", "n": n, "order": k, "subgroup": sub}


def graph(n=5, seed=0):
    A = np.triu(np.random.default_rng(seed).random((n, n)) < 0.5, 1).astype(float)
    return GraphBasis(A + A.T)


BASES = {
    "lattice conv D4": lambda: basis_from_specs(steer("D4", "regular"), steer("D4", "quotient:C2")),
    "lattice C6 hex": lambda: basis_from_specs(steer("C6", "trivial"), steer("C6", "regular")),
    "lattice global point": lambda: basis_from_specs(steer("C4", "regular"), steer("C4", "point")),
    "gather perm subgroup": lambda: basis_from_specs(perm(4, 2, "D"), perm(4, 1, "D")),
    "gather raw actions": lambda: orbital_basis(tensor_action(3, 1, "C"), tensor_action(3, 2, "C")),
    "mlp": lambda: basis_from_specs({"family": "mlp"}, {"family": "mlp"}),
    "partition S4 2->1": lambda: partition_basis(4, 2, 1),
    "partition S3 1->1": lambda: basis_from_specs(perm(3, 1), perm(3, 1)),
    "graph": graph,
}


def protocol_members() -> list[str]:
    hints = typing.get_type_hints(Basis)
    methods = [k for k, v in vars(Basis).items() if callable(v) and not k.startswith("_")]
    return sorted(set(hints) | set(methods))


def test_protocol_lists_what_the_engine_uses():
    assert protocol_members() == sorted(
        [
            "name",
            "dim",
            "shape",
            "action_in",
            "action_out",
            "conv",
            "counts",
            "apply",
            "apply_transpose",
            "coeff_grad",
            "dense",
            "orbit_sizes",
            "input_orbit",
            "diagonal_orbits",
            "hidden_basis",
            "fan_in",
            "op_norm",
        ]
    )


@pytest.mark.parametrize("cls", [OrbitalBasis, PartitionBasis, GraphBasis])
def test_each_class_implements_every_member_itself(cls):
    assert Basis not in cls.__mro__  # structural: nothing inherited from the protocol
    missing = [m for m in protocol_members() if m not in dir(cls) and m not in getattr(cls, "__dataclass_fields__", {})]
    assert not missing


@pytest.mark.parametrize("name", BASES)
def test_members_agree_with_the_dense_matrix(name):
    b = BASES[name]()
    assert isinstance(b, Basis)
    rng = np.random.default_rng(1)
    c = rng.uniform(-1, 1, (2, 3, b.dim))
    x, gy = rng.standard_normal((2, 2, b.shape[1])), rng.standard_normal((2, 3, b.shape[0]))
    W = b.dense(c)
    assert W.shape == (3 * b.shape[0], 2 * b.shape[1])
    np.testing.assert_allclose(b.apply(c, x).reshape(2, -1), x.reshape(2, -1) @ W.T, atol=1e-10)
    np.testing.assert_allclose(b.apply_transpose(c, gy).reshape(2, -1), gy.reshape(2, -1) @ W, atol=1e-10)
    grad = b.coeff_grad(x, gy)
    for idx in [(0, 0, 0), (1, 2, b.dim - 1), (1, 0, b.dim // 2)]:
        e = np.zeros_like(c)
        e[idx] = 1.0
        assert grad[idx] == pytest.approx(
            float(np.sum(gy.reshape(2, -1) * (x.reshape(2, -1) @ b.dense(e).T))), abs=1e-10
        )
    assert b.op_norm(c) == pytest.approx(np.linalg.norm(W, 2), rel=1e-10)
    S = b.dense(np.ones((1, 1, b.dim)))
    assert b.fan_in() == pytest.approx(max(S.sum(axis=1).mean(), 1.0), rel=1e-12)


def dense_elements(b) -> np.ndarray:
    out = []
    for k in range(b.dim):
        e = np.zeros((1, 1, b.dim))
        e[0, 0, k] = 1.0
        out.append(b.dense(e))
    return np.array(out)


@pytest.mark.parametrize("name", [n for n in BASES if n != "graph"])
def test_orbit_structure_matches_the_basis_elements(name):
    b = BASES[name]()
    E = dense_elements(b)  # (|B|, |Y|, |X|), 0/1 with disjoint supports
    assert set(np.unique(E)) <= {0.0, 1.0} and E.sum(axis=0).max() == 1
    ysz, xsz = b.orbit_sizes()
    assert ysz.sum() == b.shape[0] and xsz.sum() == b.shape[1]
    # sum_{q, r} counts[q, r, k] |Y_q| = number of pairs (y, x) in orbital k
    assert np.array_equal(np.einsum("qrk,q->k", b.counts, ysz), E.sum(axis=(1, 2)).astype(int))
    r = b.input_orbit()
    assert r.shape == (b.dim,) and np.all(r < xsz.size)
    assert basis_norm(b) == pytest.approx(np.linalg.norm(E.sum(axis=0), 2), rel=1e-10)


@pytest.mark.parametrize("name", BASES)
def test_hidden_basis_holds_the_projections_onto_input_orbits(name):
    b = BASES[name]()
    H = b.hidden_basis()
    assert isinstance(H, Basis) and H.shape == (b.shape[1], b.shape[1])
    assert H.hidden_basis() is H or H.hidden_basis().dim == H.dim
    diag = H.diagonal_orbits()
    E = dense_elements(H)
    P = E[diag]  # the projections P_r onto the G-orbits X_r of X
    assert np.array_equal(P.sum(axis=0), np.eye(b.shape[1]))
    assert all(np.array_equal(p, np.diag(np.diag(p))) for p in P)
    # b_k reads only from X_{r(k)}: b_k P_s = 0 for s != r(k)
    Eb = dense_elements(b)
    for k, rk in enumerate(b.input_orbit()):
        for s, p in enumerate(P):
            assert np.any(Eb[k] @ p) == (s == rk)
