"""The exact operator norm of lattice layers (constructions.conv.conv_op_norm): equal to the
dense matrix's largest singular value on small cases of every lattice family, equal to the
previous implementation (all m^2 symbols, one SVD each) on random layers, and the frequency
classes it computes once are exactly the ones with equal symbol singular values."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from constructions import basis_from_specs
from constructions.conv import _offset_matrices, conv_op_norm, frequency_orbits


def steer(group, field, grid=5, kernel=3):
    return {"family": "steerable", "grid": grid, "kernel": kernel, "group": group, "field": field}


CASES = {
    "C1 cnn even kernel": ({"family": "cnn", "grid": 5, "kernel": 2}, {"family": "cnn", "grid": 5, "kernel": 2}),
    "C2 regular": (steer("C2", "regular", grid=6), steer("C2", "regular", grid=6)),
    "C4 regular": (steer("C4", "regular"), steer("C4", "regular")),
    "C4 trivial->regular": (steer("C4", "trivial", grid=4), steer("C4", "regular", grid=4)),
    "D1 regular": (steer("D1", "regular", grid=4), steer("D1", "regular", grid=4)),
    "D2 regular->trivial": (steer("D2", "regular", grid=4), steer("D2", "trivial", grid=4)),
    "D4 regular->quotient": (steer("D4", "regular", grid=6), steer("D4", "quotient:C2", grid=6)),
    "D4 quotient:D1->regular k5": (
        steer("D4", "quotient:D1", grid=5, kernel=5),
        steer("D4", "regular", grid=5, kernel=5),
    ),
    "C3 hex": (steer("C3", "regular", grid=4), steer("C3", "regular", grid=4)),
    "C6 hex": (steer("C6", "trivial", grid=4), steer("C6", "regular", grid=4)),
    "D6 hex": (steer("D6", "regular", grid=4), steer("D6", "quotient:C2", grid=4)),
}


def previous_op_norm(conv, coeffs) -> float:
    """The implementation this replaces: every frequency of the torus, one full SVD each."""
    m = conv.grid
    mats = _offset_matrices(conv, coeffs)
    w = np.stack(np.meshgrid(np.arange(m), np.arange(m), indexing="ij"), -1).reshape(-1, 2)
    phase = np.exp(2j * np.pi * (w @ conv.offsets.T) / m)
    symbols = np.einsum("wk,kio->woi", phase, mats, optimize=True)
    return float(np.linalg.norm(symbols, 2, axis=(1, 2)).max())


def all_symbol_norms(conv, coeffs) -> np.ndarray:
    m = conv.grid
    mats = _offset_matrices(conv, coeffs)
    w = np.stack(np.divmod(np.arange(m * m), m), axis=1)
    symbols = np.einsum("wk,kio->wio", np.exp(2j * np.pi * (w @ conv.offsets.T) / m), mats)
    return np.linalg.norm(symbols, 2, axis=(1, 2))


@pytest.mark.parametrize("name", list(CASES))
def test_op_norm_equals_dense_svd(name):
    basis = basis_from_specs(*CASES[name])
    rng = np.random.default_rng(0)
    for n_in, n_out in ((1, 1), (2, 3)):
        c = rng.uniform(-1, 1, (n_in, n_out, basis.dim))
        dense = np.linalg.norm(basis.dense(c), 2)
        assert basis.op_norm(c) == pytest.approx(dense, rel=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_frequency_classes_have_equal_symbol_norms(name):
    """Each class of frequency_orbits holds symbols of equal sigma_max (1e-12), and the
    point-group symmetries are really used (fewer classes than conjugation alone gives)."""
    conv = basis_from_specs(*CASES[name]).conv
    m = conv.grid
    norms = all_symbol_norms(conv, np.random.default_rng(1).uniform(-1, 1, (2, 2, int(conv.table.max()) + 1)))
    reps = frequency_orbits(conv)
    only_conj = frequency_orbits(dataclasses.replace(conv, symmetries=()))
    assert len(reps) <= len(only_conj) <= (m * m) // 2 + 2
    if name.split()[0] not in ("C1", "C2"):  # C2 = {I, -I}: conjugation already
        assert len(reps) < len(only_conj)
    assert norms.max() == pytest.approx(norms[reps].max(), rel=1e-13)
    # every frequency's norm equals its class representative's: rebuild the classes by brute force
    u, v = np.divmod(np.arange(m * m), m)
    for A, *_ in conv.symmetries:
        img = ((A[0, 0] * u + A[1, 0] * v) % m) * m + (A[0, 1] * u + A[1, 1] * v) % m
        np.testing.assert_allclose(norms[img], norms, rtol=1e-12)
    np.testing.assert_allclose(norms[((-u) % m) * m + (-v) % m], norms, rtol=1e-12)


def test_a_symmetry_that_does_not_hold_is_not_used():
    """A wrong symmetry (the field permutation of another group element) fails the exact
    table check and is dropped: the norm stays the dense one."""
    basis = basis_from_specs(steer("C4", "regular", grid=4), steer("C4", "regular", grid=4))
    conv = basis.conv
    A, o_img, p_out, p_in = conv.symmetries[0]
    bad = dataclasses.replace(conv, symmetries=((A, o_img, np.roll(p_out, 1), p_in),))
    assert len(frequency_orbits(bad)) == len(frequency_orbits(dataclasses.replace(conv, symmetries=())))
    shear = dataclasses.replace(conv, symmetries=((np.array([[1, 1], [0, 1]]), o_img, p_out, p_in),))
    assert len(frequency_orbits(shear)) == len(frequency_orbits(bad))
    c = np.random.default_rng(2).uniform(-1, 1, (2, 2, basis.dim))
    assert conv_op_norm(bad, c) == pytest.approx(np.linalg.norm(basis.dense(c), 2), rel=1e-12)


@pytest.mark.parametrize(
    "group,field,grid", [("D4", "regular", 28), ("C4", "regular", 12), ("D6", "regular", 9), ("C1", "trivial", 10)]
)
def test_op_norm_equals_previous_implementation_on_random_layers(group, field, grid):
    basis = basis_from_specs(steer(group, field, grid=grid), steer(group, field, grid=grid))
    rng = np.random.default_rng(3)
    for n in (1, 4):
        c = rng.uniform(-1, 1, (n, n, basis.dim))
        assert conv_op_norm(basis.conv, c) == pytest.approx(previous_op_norm(basis.conv, c), rel=1e-13)


def test_chunked_frequencies_give_the_same_norm(monkeypatch):
    import constructions.conv as conv_module

    basis = basis_from_specs(steer("D4", "regular", grid=8), steer("D4", "regular", grid=8))
    c = np.random.default_rng(4).uniform(-1, 1, (2, 2, basis.dim))
    whole = conv_op_norm(basis.conv, c)
    monkeypatch.setattr(conv_module, "_FOURIER_CHUNK", 1)  # one frequency per chunk
    assert conv_op_norm(basis.conv, c) == whole
