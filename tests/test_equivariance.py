"""The equivariance checker (constructions.equivariance): per-element errors that agree with
the dense-matrix definition, elements named by words in the generators, and a broken layer
caught with the failing element named."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from constructions import (
    Layer,
    assert_equivariant,
    basis_from_specs,
    check_equivariance,
    closure,
    group_elements,
    joint,
    lattice_action,
    network_equivariance_errors,
    random_elements,
    tensor_action,
)
from constructions.equivariance import random_walks, shortest_words, word_name


def steer(group, field, grid=5, kernel=5):
    return dict(family="steerable", grid=grid, kernel=kernel, group=group, field=field)


def permutation_matrix(perm):
    """P with (P x)[g.p] = x[p] (THEORY §1): P[g[p], p] = 1."""
    P = np.zeros((perm.size, perm.size))
    P[perm, np.arange(perm.size)] = 1.0
    return P


def compose(word, gens):
    """The permutation of a word (leftmost factor applied last): (g h)[p] = g[h[p]]."""
    out = np.arange(gens.shape[1])
    for letter in reversed(word):
        g = gens[letter] if letter >= 0 else np.argsort(gens[~letter])
        out = g[out]
    return out


@pytest.mark.parametrize(
    "spec_in, spec_out",
    [
        (steer("D4", "regular", 3, 3), steer("D4", "quotient:C2", 3, 3)),
        (dict(family="perm", n=4, order=2), dict(family="perm", n=4, order=1)),
    ],
)
def test_per_element_errors_equal_the_dense_definition(spec_in, spec_out):
    """error(g) = ||W P_X(g) x - P_Y(g) W x|| / ||W x||, with dense matrices, for a
    non-equivariant W (errors of order 1) and an equivariant one (rounding only)."""
    basis = basis_from_specs(spec_in, spec_out)
    rng = np.random.default_rng(0)
    W_bad = rng.standard_normal(basis.shape)
    W_good = Layer(basis, rng.uniform(-1, 1, (1, 1, basis.dim))).dense()
    x = rng.standard_normal((3, 1, basis.shape[1]))
    for W in (W_bad, W_good):
        fn = lambda v, W=W: (v[:, 0] @ W.T)[:, None]  # noqa: E731
        errs = check_equivariance(fn, basis.action_in, basis.action_out, 1, rng=np.random.default_rng(5))
        xs = np.random.default_rng(5).standard_normal((3, 1, basis.shape[1]))  # the checker's draw
        group = errs.elements
        assert group.exhaustive
        want = []
        for px, py in zip(group.on_x, group.on_y):
            lhs = W @ permutation_matrix(px) @ xs[:, 0].T
            rhs = permutation_matrix(py) @ W @ xs[:, 0].T
            want.append(np.linalg.norm(lhs - rhs) / np.linalg.norm(W @ xs[:, 0].T))
        np.testing.assert_allclose(errs.errors, want, rtol=1e-12, atol=1e-15)
    assert max(want) < 1e-13 and x.shape[0] == 3


def test_all_elements_are_enumerated_once_and_their_words_evaluate_to_them():
    a = lattice_action(3, "D4", "regular")
    group = group_elements(a, a, np.random.default_rng(0))
    both = np.concatenate([group.on_x, group.on_y + a.size], axis=1)
    assert group.exhaustive and len({e.tobytes() for e in both}) == 9 * 8 == len(group.names)
    gens = joint(a, a).perms
    for word, elem in zip(group.words, both):
        assert np.array_equal(compose(word, gens), elem)
    assert group.names[:5] == ("e", "t1", "t2", "r", "s")
    assert max(len(w) for w in group.words) <= 2 + 2 + 3  # shortest words: t1^a t2^b r^c s^d


def test_shortest_words_of_a_cyclic_group():
    a = tensor_action(5, 1, "C")
    elems = closure(a)
    words = shortest_words(elems, a.perms)
    assert [len(w) for w in words] == [0, 1, 2, 3, 4]
    assert [word_name(w, ["c"]) for w in words] == ["e", "c", "c^2", "c^3", "c^4"]


def test_random_walks_are_the_random_elements_of_actions():
    a = lattice_action(6, "D4", "regular")
    perms, words = random_walks(a, 9, np.random.default_rng(3))
    assert np.array_equal(perms, random_elements(a, 9, np.random.default_rng(3)))
    for word, perm in zip(words, perms):
        assert np.array_equal(compose(word, a.perms), perm)
    big = group_elements(a, a, np.random.default_rng(4), count=5, max_all=10)
    assert not big.exhaustive and len(big.names) == 5


def chiral_layer():
    """A C4-equivariant layer (5x5 kernel: two chiral offset orbits) presented as a layer of
    Z_5^2 x D4: every element with a reflection breaks it, translations and rotations do not."""
    c4 = basis_from_specs(steer("C4", "trivial"), steer("C4", "trivial"))
    d4 = lattice_action(5, "D4", "trivial")
    broken = dataclasses.replace(c4, action_in=d4, action_out=d4)
    return Layer(broken, np.random.default_rng(1).uniform(-1, 1, (1, 1, c4.dim)))


def test_a_broken_layer_is_caught_and_the_failing_element_named():
    layer = chiral_layer()
    errs = network_equivariance_errors(layer)
    s = 3  # generators t1 t2 r s
    reflected = np.array([sum(letter in (s, ~s) for letter in w) % 2 == 1 for w in errs.elements.words])
    assert reflected.sum() == errs.errors.size // 2 == 100
    assert errs.errors[~reflected].max() < 1e-13 and errs.errors[reflected].min() > 1e-3
    with pytest.raises(AssertionError, match=r"100 of 200 group elements exceed the tolerance 1.0e-10; worst element"):
        assert_equivariant(layer)
    try:
        assert_equivariant(layer)
    except AssertionError as exc:
        named = str(exc).split("worst element ")[1]
        index, name = int(named.split(" ")[0]), named.split("(")[1].split(")")[0]
        assert index == errs.worst and reflected[index] and name == errs.elements.names[index] and "s" in name


def test_float32_layers_are_checked_in_float64_with_their_tolerance():
    b = basis_from_specs(steer("C4", "regular", 4, 3), steer("C4", "regular", 4, 3))
    layer = Layer(b, np.random.default_rng(2).uniform(-1, 1, (2, 2, b.dim)).astype(np.float32))
    errs = assert_equivariant(layer, dtype=np.float32)
    assert errs.errors.dtype == np.float64 and 0 < errs.max < 1e-5
    with pytest.raises(AssertionError, match="exceed the tolerance 1.0e-10"):
        assert_equivariant(layer, dtype=np.float32, tol=1e-10)
