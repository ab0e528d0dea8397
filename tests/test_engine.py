"""The network engine: matrix-free application equals dense matrices; equivariance."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import constructions.network as network
import constructions.protocol as protocol
from constructions import (
    Layer,
    assert_equivariant,
    basis_from_specs,
    equivariance_error,
    forward,
    lattice_action,
    network_equivariance_error,
    op_norm,
    orbital_basis,
    partition_basis,
    random_network,
    tensor_action,
)
from constructions.equivariance import TOLERANCE


def steer(group, field, grid=5, kernel=3):
    return dict(family="steerable", grid=grid, kernel=kernel, group=group, field=field)


BASES = {
    "conv C4 reg": (steer("C4", "regular"), steer("C4", "regular")),
    "conv D6 reg->quot": (steer("D6", "regular"), steer("D6", "quotient:C2")),
    "conv C1 even kernel": (dict(family="cnn", grid=5, kernel=2), dict(family="cnn", grid=5, kernel=2)),
    "gather D4 pool": (steer("D4", "regular"), steer("D4", "point")),
    "gather D4 broadcast": (steer("D4", "point"), steer("D4", "trivial")),
    "gather C4 on 2-tensors": (
        dict(family="perm", n=4, order=2, subgroup="C"),
        dict(family="perm", n=4, order=1, subgroup="C"),
    ),
    "partition S4 2->2": (dict(family="perm", n=4, order=2), dict(family="perm", n=4, order=2)),
    "partition S3 0->2": (dict(family="perm", n=3, order=0), dict(family="perm", n=3, order=2)),
    "partition S3 3->1": (dict(family="perm", n=3, order=3), dict(family="perm", n=3, order=1)),
    "mlp": (dict(family="mlp"), dict(family="mlp")),
}


@pytest.mark.parametrize("name", list(BASES))
def test_apply_transpose_and_grad_equal_dense(name):
    basis = basis_from_specs(*BASES[name])
    rng = np.random.default_rng(1)
    c = rng.uniform(-1, 1, (2, 3, basis.dim))
    x = rng.standard_normal((4, 2, basis.shape[1]))
    gy = rng.standard_normal((4, 3, basis.shape[0]))
    D = basis.dense(c)
    assert np.allclose(basis.apply(c, x).reshape(4, -1), x.reshape(4, -1) @ D.T, rtol=1e-12, atol=1e-12)
    assert np.allclose(basis.apply_transpose(c, gy).reshape(4, -1), gy.reshape(4, -1) @ D, rtol=1e-12, atol=1e-12)
    E = basis.dense_elements()
    grad = np.einsum("nby,kyx,nax->abk", gy, E, x)
    assert np.allclose(basis.coeff_grad(x, gy), grad, rtol=1e-11, atol=1e-11)
    # dense() agrees with the elements
    assert np.allclose(D, np.einsum("abk,kyx->byax", c, E).reshape(D.shape))


@pytest.mark.parametrize("n_in,n_out", [(1, 5), (5, 1), (3, 3)])
def test_conv_gemm_strategies_agree(monkeypatch, n_in, n_out):
    """The wide-layer conv strategies (im2col, padded gemm) equal the dense matrix too."""
    import constructions.conv as conv

    monkeypatch.setattr(conv, "_STRIDED_MAX_CHANNELS", 0)
    monkeypatch.setattr(conv, "CHUNK_FLOATS", 500)  # several batch chunks
    basis = basis_from_specs(steer("D4", "regular"), steer("D4", "quotient:C2"))
    rng = np.random.default_rng(4)
    c = rng.uniform(-1, 1, (n_in, n_out, basis.dim))
    x = rng.standard_normal((3, n_in, basis.shape[1]))
    gy = rng.standard_normal((3, n_out, basis.shape[0]))
    D = basis.dense(c)
    assert np.allclose(basis.apply(c, x).reshape(3, -1), x.reshape(3, -1) @ D.T, rtol=1e-12, atol=1e-12)
    assert np.allclose(basis.apply_transpose(c, gy).reshape(3, -1), gy.reshape(3, -1) @ D, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("route", ["fourier", "direct"])
@pytest.mark.parametrize(
    "spec_in,spec_out",
    [
        (steer("D4", "regular", grid=6), steer("D4", "quotient:C2", grid=6)),  # even grid: Nyquist column
        (steer("C4", "regular", grid=5, kernel=5), steer("C4", "trivial", grid=5, kernel=5)),
        (steer("D6", "regular", grid=4), steer("D6", "regular", grid=4)),  # hexagonal lattice
    ],
)
def test_conv_fourier_and_direct_routes_equal_dense(monkeypatch, route, spec_in, spec_out):
    """The convolution-theorem route and the shifted-matmul route each equal the dense
    matrix (forward and transpose, float64, 1e-12), with several frequency chunks; the
    route really taken is recorded."""
    import constructions.conv as conv

    taken = []
    real = conv._fourier_apply
    monkeypatch.setattr(conv, "_fourier_apply", lambda *a: taken.append(1) or real(*a))
    monkeypatch.setattr(conv, "_FOURIER_MIN_BATCH", 1 if route == "fourier" else 10**9)
    monkeypatch.setattr(conv, "_FOURIER_CHUNK", 50)
    basis = basis_from_specs(spec_in, spec_out)
    rng = np.random.default_rng(5)
    c = rng.uniform(-1, 1, (2, 3, basis.dim))
    x = rng.standard_normal((5, 2, basis.shape[1]))
    gy = rng.standard_normal((5, 3, basis.shape[0]))
    D = basis.dense(c)
    y, g = basis.apply(c, x), basis.apply_transpose(c, gy)
    assert y.shape == (5, 3, basis.shape[0]) and g.shape == (5, 2, basis.shape[1])
    np.testing.assert_allclose(y.reshape(5, -1), x.reshape(5, -1) @ D.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.reshape(5, -1), gy.reshape(5, -1) @ D, rtol=1e-12, atol=1e-12)
    assert len(taken) == (2 if route == "fourier" else 0)


@pytest.mark.parametrize("name", ["conv C4 reg", "partition S4 2->2", "gather D4 pool"])
def test_float32_path(name):
    basis = basis_from_specs(*BASES[name])
    rng = np.random.default_rng(2)
    c = rng.uniform(-1, 1, (2, 2, basis.dim))
    x = rng.standard_normal((6, 2, basis.shape[1]))
    y64 = Layer(basis, c)(x)
    y32 = Layer(basis, c.astype(np.float32))(x.astype(np.float32))
    assert y32.dtype == np.float32
    assert np.allclose(y32, y64, rtol=1e-4, atol=1e-4)


def test_gather_chunking_matches(monkeypatch):
    import constructions.orbital as orbital

    basis = basis_from_specs(steer("D4", "regular"), steer("D4", "point"))
    rng = np.random.default_rng(3)
    c = rng.uniform(-1, 1, (2, 2, basis.dim))
    x = rng.standard_normal((3, 2, basis.shape[1]))
    full = basis.apply(c, x)
    basis2 = orbital_basis(basis.action_in, basis.action_out)
    monkeypatch.setattr(orbital, "CHUNK_FLOATS", 7)
    assert np.allclose(basis2.apply(c, x), full)


def test_forward_equals_composition_of_dense_matrices():
    specs = [steer("C4", "trivial"), steer("C4", "regular"), steer("C4", "regular"), steer("C4", "point")]
    bases = [basis_from_specs(a, b) for a, b in zip(specs, specs[1:])]
    layers = random_network(bases, [1, 3, 2, 4], np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((5, 1, bases[0].shape[1]))
    h = x.reshape(5, -1).T
    for i, layer in enumerate(layers):
        h = layer.dense() @ (h if i == 0 else np.maximum(h, 0))
    assert np.allclose(forward(layers, x).reshape(5, -1), h.T, rtol=1e-12, atol=1e-12)


NETWORKS = {
    "steerable D4": [
        steer("D4", "trivial", 6),
        steer("D4", "regular", 6),
        steer("D4", "quotient:D1", 6),
        steer("D4", "point", 6),
    ],
    "hexagonal D6": [steer("D6", "trivial", 5), steer("D6", "regular", 5), steer("D6", "regular", 5)],
    "cnn": [dict(family="cnn", grid=6, kernel=3)] * 3,
    "2-IGN": [dict(family="perm", n=5, order=2), dict(family="perm", n=5, order=2), dict(family="perm", n=5, order=0)],
    "A_5 tensors": [dict(family="perm", n=5, order=1, subgroup="A"), dict(family="perm", n=5, order=2, subgroup="A")],
}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_random_networks_are_equivariant(name):
    specs = NETWORKS[name]
    bases = [basis_from_specs(a, b) for a, b in zip(specs, specs[1:])]
    layers = random_network(bases, [2] * len(specs), np.random.default_rng(0))
    errs = assert_equivariant(layers)
    assert errs.max <= TOLERANCE[np.dtype(np.float64)] and errs.errors.size >= 2
    err32 = network_equivariance_error([Layer(l.basis, l.coeffs.astype(np.float32)) for l in layers], dtype=np.float32)
    assert err32 <= TOLERANCE[np.dtype(np.float32)]


def test_equivariance_check_detects_a_non_equivariant_map():
    act = lattice_action(4, "C4", "regular")
    rng = np.random.default_rng(0)
    W = rng.standard_normal((act.size, act.size))
    err = equivariance_error(lambda x: x @ W.T, act, act, 1)
    assert err > 0.1
    basis = orbital_basis(act, act)
    layer = Layer(basis, rng.uniform(-1, 1, (1, 1, basis.dim)))
    assert equivariance_error(layer, act, act, 1) < 1e-12
    # an equivariant layer followed by a non-equivariant reweighting of one coordinate
    broken = lambda x: layer(x) * (1 + (np.arange(act.size) == 0))  # noqa: E731
    assert equivariance_error(broken, act, act, 1) > 1e-3


@given(st.integers(0, 10_000))
def test_uniform_coefficients_and_normalisation(seed):
    s = steer("C2", "regular", 4)
    basis = basis_from_specs(s, s)
    layers = random_network([basis], [2, 3], np.random.default_rng(seed))
    c = layers[0].coeffs
    assert c.shape == (2, 3, basis.dim)
    norm = np.linalg.norm(layers[0].dense(), 2)
    assert norm <= 1 + 1e-12 and norm > 1 - 1e-9  # rescaled to exactly ||W|| = 1
    raw = random_network([basis], [2, 3], np.random.default_rng(seed), normalize=False)[0].coeffs
    assert raw.min() >= -1 and raw.max() <= 1
    assert np.allclose(raw / raw.flat[0] * c.flat[0], c)  # one positive factor


def test_op_norm_matrix_free_path(monkeypatch):
    s = steer("D4", "regular", 5)
    basis = basis_from_specs(s, s)
    layer = Layer(basis, np.random.default_rng(0).uniform(-1, 1, (2, 2, basis.dim)))
    dense = np.linalg.norm(layer.dense(), 2)
    monkeypatch.setattr(protocol, "DENSE_NORM_ENTRIES", 10)
    assert op_norm(layer) == pytest.approx(dense, rel=1e-9)
    p = partition_basis(6, 2, 2)
    layer = Layer(p, np.random.default_rng(1).uniform(-1, 1, (2, 1, p.dim)))
    assert op_norm(layer) == pytest.approx(np.linalg.norm(layer.dense(), 2), rel=1e-9)


def test_seeded_networks_are_identical():
    s = steer("C4", "regular", 4)
    basis = basis_from_specs(s, s)
    a = random_network([basis, basis], [2, 2, 2], np.random.default_rng(7))
    b = random_network([basis, basis], [2, 2, 2], np.random.default_rng(7))
    assert all(np.array_equal(x.coeffs, y.coeffs) for x, y in zip(a, b))


def test_bad_inputs_are_clear_errors():
    basis = partition_basis(3, 1, 1)
    with pytest.raises(ValueError, match=r"shape \(n_in, n_out, 2\)"):
        Layer(basis, np.zeros((1, 1, 3)))
    bad = np.zeros((1, 1, 2))
    bad[0, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r"coefficients\[0, 0, 1\] = nan is not finite"):
        Layer(basis, bad)
    layer = Layer(basis, np.ones((1, 1, 2)))
    with pytest.raises(ValueError, match=r"features must have shape \(batch, 1, 3\)"):
        layer(np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="finite"):
        layer(np.full((2, 1, 3), np.inf))
    two = Layer(partition_basis(3, 1, 2), np.ones((1, 2, 5)))
    with pytest.raises(ValueError, match="outputs 2 fields but layer 2 takes 1"):
        forward([two, layer], np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match="n_in must be an integer >= 1, got 0"):
        network.random_coefficients(basis, 0, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="output field type does not match"):
        forward([Layer(partition_basis(3, 1, 2), np.ones((1, 1, 5))), layer], np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match="different groups"):
        orbital_basis(tensor_action(3, 1), tensor_action(4, 1))
