"""Sup-errors of prefixes (subsetsum.prefix) and prefix networks (constructions.prefix) against
the brute-force oracle: all 2^n subset sums of every prefix, sorted (bounds_oracles)."""

from __future__ import annotations

import numpy as np
import pytest
from bounds_oracles import pensia_samples, sup_error_reference

from constructions import basis_from_specs, from_masks, overparameterize, prefix_network, random_network
from subsetsum import first_hits, prefix_sup_errors


def brute_prefix_sup(row) -> list[float]:
    """sup-error of every prefix of one row, by enumeration (column 0: no samples)."""
    return [1.0] + [float(sup_error_reference(row[None, :n])[0]) for n in range(1, row.size + 1)]


def capped(samples, nonzero):
    """Zero every sample after the first ``nonzero`` nonzero ones (keeps the oracle cheap)."""
    return np.where(np.cumsum(samples != 0, axis=1) > nonzero, 0.0, samples)


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_prefix_sup_errors_exact_where_known_and_an_upper_bound_elsewhere(levels):
    rng = np.random.default_rng(7)
    a = capped(pensia_samples(rng, (10, 26)), 13)
    sup, known, done = prefix_sup_errors(a, 5, levels=levels)
    assert np.all(np.diff(sup, axis=1) <= 0) and not done.any()
    for r in range(a.shape[0]):
        brute = brute_prefix_sup(a[r])
        for n, exact in enumerate(brute):
            if known[r, n]:
                assert sup[r, n] == pytest.approx(exact, rel=1e-12, abs=1e-15)
            else:
                assert np.count_nonzero(a[r, :n]) > 5
                assert sup[r, n] >= exact * (1 - 1e-12)
    assert known[:, :1].all() and not known.all()


def test_prefix_sup_errors_stop_once_below_the_threshold():
    rng = np.random.default_rng(3)
    a = capped(pensia_samples(rng, (20, 30)), 12)
    sup, known, done = prefix_sup_errors(a, 12, stop=0.1)
    for r in np.flatnonzero(done):
        n = int(np.argmax(sup[r] <= 0.1))
        assert sup[r, n] == pytest.approx(brute_prefix_sup(a[r])[n], rel=1e-12)
        assert all(e > 0.1 for e in brute_prefix_sup(a[r])[:n])
    assert done.any()


def test_first_hits_is_the_shortest_prefix_within_eps():
    err = np.array([[1.0, 0.4, 0.2, 0.05], [1.0, 1.0, 1.0, 0.9]])
    assert first_hits(err, [0.5, 0.1]).tolist() == [[1, 3], [np.inf, np.inf]]


def test_prefix_network_samples_are_prefixes_of_the_wide_draw():
    b = basis_from_specs({"family": "mlp"}, {"family": "mlp"})
    target = random_network([b, b], [2, 2, 2], np.random.default_rng(0))
    wide = overparameterize(target, 10, seed=1)
    full = from_masks(wide, target, [np.zeros(L.coeffs.shape, bool) for L in wide])
    net = prefix_network(wide, target, 4)
    part = from_masks(net, target, [np.zeros(L.coeffs.shape, bool) for L in net])
    for s_full, s_part in zip(full.samples, part.samples):
        np.testing.assert_array_equal(s_full[..., :4], s_part)
    assert np.array_equal(prefix_network(wide, target, 10)[0].coeffs, wide[0].coeffs)
    with pytest.raises(ValueError, match="m = 11 exceeds the drawn width 10"):
        prefix_network(wide, target, 11)
