"""Covering certificates (subsetsum.cover) and the calibration walks (subsetsum.certified_prefixes,
layered_prefixes) against the brute-force oracle: all 2^n subset sums sorted (bounds_oracles)."""

from __future__ import annotations

import numpy as np
import pytest
from bounds_oracles import pensia_samples, sup_error_reference

from subsetsum import certified_prefixes, layered_prefixes, sup_error
from subsetsum.cover import extended_prefixes, layered_bound, longest_component, window_points, zero_component


def all_sums(row):
    sums = np.array([0.0])
    for a in row[row != 0]:
        sums = np.concatenate([sums, sums + a])
    return np.sort(sums)


def covered_within(sums, lo, hi, r, grid=2001):
    """Brute check of "every z in [lo, hi] is within r of sums" on a fine grid (+ tolerance)."""
    z = np.linspace(lo, hi, grid)
    return bool(np.all(np.min(np.abs(z[:, None] - sums[None, :]), axis=1) <= r + 1e-12))


def brute_first_prefix(row, eps):
    """Shortest prefix of one row with sup-error <= eps (np.inf if none), by enumeration."""
    for m in range(1, row.size + 1):
        if sup_error_reference(row[None, :m])[0] <= eps:
            return m
    return np.inf


@pytest.mark.parametrize("seed", range(6))
def test_components_are_covered_and_maximal(seed):
    rng = np.random.default_rng(seed)
    row = pensia_samples(rng, (1, 24))[0]
    row = np.where(np.cumsum(row != 0) > 13, 0.0, row)  # at most 13 nonzero: 8192 sums
    sums = all_sums(row)[None, :]
    for r in (0.02, 0.08):
        for component in (zero_component, longest_component):
            L, U = component(sums, r)
            assert covered_within(sums[0], L[0], U[0], r)  # rule 1: covered
            assert not covered_within(sums[0], L[0] - 2 * r, U[0], r) or L[0] - 2 * r < sums[0, 0] - r
        L0, U0 = zero_component(sums, r)
        Ll, Ul = longest_component(sums, r)
        assert L0[0] <= 0 <= U0[0] and Ul[0] - Ll[0] >= U0[0] - L0[0] - 1e-12


def test_extension_covers_what_it_claims():
    """Rule 2: the interval extended by samples no longer than it is covered by the union."""
    rng = np.random.default_rng(4)
    for _ in range(20):
        core, rest = pensia_samples(rng, (1, 14))[0], pensia_samples(rng, (1, 8))[0]
        s = all_sums(core)[None, :]
        L, U = zero_component(s, 0.05)
        ok = extended_prefixes(L, U, rest[None, :])[0]
        for k in np.flatnonzero(ok)[:1]:
            union = all_sums(np.concatenate([core, rest[: k + 1]]))
            assert covered_within(union, -1.0, 1.0, 0.05)


def test_window_points_are_the_sumset_in_the_window():
    rng = np.random.default_rng(2)
    a, b = np.sort(rng.uniform(-1, 1, 300)), np.sort(rng.uniform(-1, 1, 200))
    pts, total = window_points(a, b, -0.1, 0.05)
    brute = np.sort((a[:, None] + b[None, :]).ravel())
    brute = brute[(brute >= -0.1) & (brute <= 0.05)]
    assert total == brute.size and np.array_equal(pts, brute)
    assert window_points(a, b, -0.1, 0.05, budget=10) == (None, total)


def test_layered_bound_is_a_rigorous_upper_bound():
    """Rules 2 and 3 never claim less than the exact sup-error (many splits, small budgets)."""
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(120):
        row = pensia_samples(rng, (1, 44))[0]
        nz = row[row != 0][:20]
        if nz.size < 8:
            continue
        exact = sup_error(nz[None, :])[0]
        for middle, bottom, budget in ((6, 6, 1000), (8, 8, 200), (5, 10, 50), (3, 14, 4000), (10, 4, 10**6)):
            assert layered_bound(nz, middle, bottom, budget)["bound"] >= exact * (1 - 1e-12) - 1e-15
            checked += 1
    assert checked > 300


def test_certified_prefixes_exact_within_the_core_and_conservative_beyond():
    rng = np.random.default_rng(7)
    samples = pensia_samples(rng, (25, 40))
    samples = np.where(np.cumsum(samples != 0, axis=1) > 16, 0.0, samples)  # keep the oracle cheap
    grid = [0.2, 0.05]
    exact = certified_prefixes(samples, grid, core=16)  # core covers every row: exact
    for r in range(len(samples)):
        assert [brute_first_prefix(samples[r], p) for p in grid] == list(exact[r]), r
    cheap = certified_prefixes(samples, grid, core=7)
    assert np.all(cheap >= exact) and np.sum(np.isfinite(cheap)) > 0
    assert np.sum(cheap == exact) > 0.5 * exact.size  # most first hits are found exactly


def test_layered_prefixes_conservative_and_exact_below_exact_max():
    rng = np.random.default_rng(8)
    samples = pensia_samples(rng, (12, 40))
    samples = np.where(np.cumsum(samples != 0, axis=1) > 16, 0.0, samples)
    grid = [0.1, 0.01, 1e-3]
    exact = certified_prefixes(samples, grid, core=16)
    assert np.array_equal(layered_prefixes(samples, grid, exact_max=16), exact)
    loose = layered_prefixes(samples, grid, exact_max=8, budget=1 << 12)
    assert np.all(loose >= exact) and np.isfinite(loose).any()


def test_walks_do_not_depend_on_the_batch():
    rng = np.random.default_rng(3)
    samples = pensia_samples(rng, (40, 60))
    full = certified_prefixes(samples, [0.01], core=12)
    parts = np.concatenate([certified_prefixes(samples[i : i + 7], [0.01], core=12) for i in range(0, 40, 7)])
    assert np.array_equal(full, parts)
