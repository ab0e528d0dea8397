"""sup_error (THEORY §5 level 2) against a dense target scan, the definition and solve()."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsetsum import SAMPLERS, solve, sup_error, sup_error_bound
from subsetsum.certificate import MAX_N


def all_sums(row):
    n = row.size
    bits = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    return bits @ row


def scan(row, grid):
    """max over the grid of min over subsets |z - sum| (brute force)."""
    s = np.sort(all_sums(row))
    i = np.clip(np.searchsorted(s, grid), 1, s.size - 1)
    return np.minimum(np.abs(grid - s[i - 1]), np.abs(grid - s[i])).max()


@st.composite
def sample_rows(draw, max_n=10):
    n = draw(st.integers(0, max_n))
    P = draw(st.integers(1, 4))
    dist = draw(st.sampled_from(["uniform", "product", "pensia"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    a = SAMPLERS[dist](rng, (P, n))
    if draw(st.booleans()):
        a = np.round(a, 1)  # duplicates and exact ties
    return a


@settings(max_examples=25)
@given(sample_rows())
def test_sup_error_equals_dense_scan(a):
    G = 20001
    grid = np.linspace(-1, 1, G)
    h = 2 / (G - 1)
    sup = sup_error(a)
    for p in range(a.shape[0]):
        m = scan(a[p], grid)
        # dist(., sums) is 1-Lipschitz: the sup is within h/2 of the grid maximum
        assert m - 1e-12 <= sup[p] <= m + h / 2 + 1e-12


@settings(max_examples=15)
@given(sample_rows(max_n=12))
def test_sup_error_bounds_every_solve_error(a):
    rng = np.random.default_rng(0)
    z = rng.uniform(-1, 1, (64, a.shape[0]))
    z[:2] = [[-1.0], [1.0]]  # the ends are targets too
    sup = sup_error(a)
    for t in z:
        res = solve(a, t)
        assert np.all(res.errors <= sup + 1e-12)


def test_sup_error_by_hand():
    np.testing.assert_allclose(sup_error([[0.5, 0.0, 0.5, 0.0], [1.0, -1.0, 0.5, -0.5]]), [1.0, 0.25])
    np.testing.assert_allclose(sup_error(np.zeros((1, 3))), [1.0])  # only the empty sum
    np.testing.assert_allclose(sup_error(np.zeros((2, 0))), [1.0, 1.0])
    # sums {0, 0.3, 0.8, 1.1}: gaps .3 .5 .3 (midpoint of the last 0.95), end -1 at distance 1
    np.testing.assert_allclose(sup_error([[0.3, 0.8]]), [1.0])
    row = np.array([[-0.6, 0.4, 0.9, -0.2]])
    s = np.sort(all_sums(row[0]))
    mid = (s[1:] + s[:-1]) / 2
    expect = max(np.abs(s + 1).min(), np.abs(s - 1).min(), ((s[1:] - s[:-1]) / 2)[np.abs(mid) <= 1].max())
    np.testing.assert_allclose(sup_error(row), [expect])


def test_zeros_are_dropped_and_rows_independent():
    rng = np.random.default_rng(3)
    a = SAMPLERS["product"](rng, (5, 9))
    padded = np.zeros((5, 20))
    padded[:, ::2][:, :9] = a
    np.testing.assert_array_equal(sup_error(padded), sup_error(a))
    np.testing.assert_array_equal(sup_error(a)[2:3], sup_error(a[2:3]))
    np.testing.assert_array_equal(sup_error(a, workers=2), sup_error(a))


def test_sup_error_bound_is_an_upper_bound():
    rng = np.random.default_rng(8)
    a = SAMPLERS["product"](rng, (30, 14))
    exact = sup_error(a)
    for k in (0, 4, 8, 13, 14, 20):
        bound = sup_error_bound(a, max_nonzero=k)
        assert np.all(bound >= exact - 1e-15)
        if k >= 14:
            np.testing.assert_array_equal(bound, exact)
    # without refinement: the exact sup_error of the kept sub-multiset (largest magnitudes);
    # the refined bound can only be smaller
    keep = np.take_along_axis(a, np.sort(np.argsort(-np.abs(a), axis=1)[:, :6], axis=1), axis=1)
    np.testing.assert_array_equal(sup_error_bound(a, max_nonzero=6, refine=False), sup_error(keep))
    assert np.all(sup_error_bound(a, max_nonzero=6) <= sup_error(keep))


def test_sup_error_larger_n_matches_sorted_definition():
    rng = np.random.default_rng(9)
    a = SAMPLERS["uniform"](rng, (2, 18))
    for p in range(2):
        s = np.sort(all_sums(a[p]))
        mid = (s[1:] + s[:-1]) / 2
        expect = max(np.abs(s + 1).min(), np.abs(s - 1).min(), ((s[1:] - s[:-1]) / 2)[np.abs(mid) <= 1].max())
        assert abs(sup_error(a[p : p + 1])[0] - expect) <= 1e-14


def test_cap_and_bad_arguments():
    a = np.full((2, MAX_N + 3), 0.1)
    a[0, :10] = 0
    with pytest.raises(ValueError, match=rf"row 1 has {MAX_N + 3} nonzero samples.*cap {MAX_N}.*sup_error_bound"):
        sup_error(a)
    with pytest.raises(ValueError, match="max_nonzero"):
        sup_error_bound(a, max_nonzero=MAX_N + 1)
    with pytest.raises(ValueError, match=r"samples\[0, 1\] = nan"):
        sup_error([[0.1, np.nan]])


def reference_sup_error(row):
    """The module docstring's formula, one row at a time, from the sorted brute-force sums."""
    s = np.sort(all_sums(row[row != 0]))
    mid = (s[1:] + s[:-1]) / 2
    inside = (mid >= -1) & (mid <= 1)
    gaps = ((s[1:] - s[:-1]) / 2)[inside]
    return max(np.abs(s + 1).min(), np.abs(s - 1).min(), gaps.max() if gaps.size else 0.0)


def test_sup_error_matches_formula_on_many_small_rows():
    """Many short rows at varied scales: the largest gap often straddles -1 or 1, or lies
    entirely outside [-1, 1], which exercises every branch of the batched formula."""
    rng = np.random.default_rng(12)
    for n in range(1, 8):
        a = rng.uniform(-1, 1, (400, n)) * rng.uniform(0.2, 2.5, (400, 1))
        a[rng.random(a.shape) < 0.2] = 0.0
        got = sup_error(a)
        expect = np.array([reference_sup_error(r) for r in a])
        np.testing.assert_allclose(got, expect, rtol=0, atol=1e-15)


def test_refined_bound_is_rigorous_and_never_worse():
    """The Minkowski-refined bound (groups of at most J samples) stays >= the exact
    sup-error, <= the first-group bound, and improves it on typical rows."""
    from subsetsum import SAMPLERS, sup_error, sup_error_bound

    rng = np.random.default_rng(5)
    a = SAMPLERS["pensia"](rng, (300, 40))
    a = a[(a != 0).sum(axis=1) <= 22]  # rows where the exact value is computable
    exact = sup_error(a)
    first = sup_error_bound(a, max_nonzero=8, refine=False)
    refined = sup_error_bound(a, max_nonzero=8)
    assert np.all(refined >= exact - 1e-12)
    assert np.all(refined <= first + 1e-15)
    assert np.mean(refined < first) > 0.5
    # with levels=0 the refinement is off
    assert np.array_equal(sup_error_bound(a, max_nonzero=8, levels=0), first)


def test_sup_error_within_scales_the_interval():
    from subsetsum import sup_error
    from subsetsum.certificate import sup_error_within

    a = np.array([[0.25, 0.5, -0.25]])
    # sums {-0.25, 0, 0.25, 0.5, 0.75}: over [-0.5, 0.5] the worst point is -0.5 (distance 0.25)
    assert sup_error_within(a, np.array([0.5]))[0] == pytest.approx(0.25)
    assert sup_error_within(a, np.array([1.0]))[0] == pytest.approx(sup_error(a)[0])
