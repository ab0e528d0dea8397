"""Exact meet-in-the-middle against brute force (all 2^n subsets) and its contracts."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsetsum import SAMPLERS, evaluate, solve
from subsetsum.exact import MAX_N
from subsetsum.sums import code_sums, sorted_sums

TOL = 1e-12


def brute_force(a: np.ndarray, z: np.ndarray):
    """(optimal errors (P,), all subset errors (P, 2^n)) by enumerating every subset with
    a 0/1 matrix product (arithmetic independent of the solver's)."""
    P, n = a.shape
    bits = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    errs = np.abs(z[:, None] - a @ bits.T)
    return errs.min(axis=1), errs


def assert_optimal(a, z, res):
    best, _ = brute_force(a, z)
    sums, errors = evaluate(a, res.masks, z)
    np.testing.assert_array_equal(res.errors, errors)
    np.testing.assert_array_equal(res.sums, sums)
    # the mask's own sum, recomputed independently
    np.testing.assert_allclose(res.sums, (a * res.masks).sum(axis=1), atol=TOL)
    assert np.all(res.errors <= best + TOL), np.max(res.errors - best)
    assert not (res.masks & (a == 0)).any(), "a zero sample was selected"


# rows mixing plain floats, zeros, duplicates (pool values) and exact ties
values = st.one_of(
    st.floats(-1, 1, allow_nan=False), st.just(0.0), st.sampled_from([0.5, -0.5, 0.25, 0.125, 1.0, -1.0, 0.1])
)


@st.composite
def batches(draw, max_n=14):
    n = draw(st.integers(0, max_n))
    P = draw(st.integers(1, 5))
    a = np.array(draw(st.lists(values, min_size=P * n, max_size=P * n)), dtype=float).reshape(P, n)
    z = np.array(draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=P, max_size=P)))
    return a, z


@given(batches())
def test_exact_equals_brute_force(batch):
    a, z = batch
    res = solve(a, z)
    assert_optimal(a, z, res)
    assert set(res.status) <= {"optimal"}
    np.testing.assert_array_equal(res.error_bounds, res.errors)
    np.testing.assert_array_equal(res.n_used, (a != 0).sum(axis=1))


@pytest.mark.parametrize("dist", ["uniform", "product", "pensia"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 9, 16])
def test_exact_random_batches(dist, n):
    rng = np.random.default_rng(n)
    a = SAMPLERS[dist](rng, (60, n))
    z = rng.uniform(-1.5, 1.5, 60)
    assert_optimal(a, z, solve(a, z))


def test_n0_and_n1_by_hand():
    res = solve(np.zeros((2, 0)), [0.3, -2.0])
    assert res.masks.shape == (2, 0)
    np.testing.assert_array_equal(res.errors, [0.3, 2.0])
    res = solve([[0.4], [0.4], [0.0]], [0.3, 0.1, 0.3])
    np.testing.assert_array_equal(res.masks[:, 0], [True, False, False])
    np.testing.assert_allclose(res.errors, [0.1, 0.1, 0.3])


def test_targets_outside_range_and_all_zero_rows():
    a = np.array([[0.5, 0.25, 0.0], [0.0, 0.0, 0.0], [-0.5, -0.25, -0.125]])
    res = solve(a, [5.0, 0.7, 2.0])
    np.testing.assert_array_equal(res.masks, [[1, 1, 0], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(res.errors, [4.25, 0.7, 2.0])


def test_negative_zero_target():
    a = np.array([[0.3, -0.3, 0.7]])
    res = solve(a, [-0.0])
    assert res.errors[0] == 0.0


def test_larger_n_against_brute_force():
    """n = 18..20: brute force still feasible; covers several bitonic merge levels."""
    rng = np.random.default_rng(7)
    for n in (18, 20):
        a = SAMPLERS["uniform"](rng, (3, n))
        z = rng.uniform(-1, 1, 3)
        assert_optimal(a, z, solve(a, z))


def test_sorted_sums_are_the_code_sums():
    rng = np.random.default_rng(1)
    for k in (0, 1, 5, 8, 9, 12, 17):
        a = np.round(rng.uniform(-1, 1, (3, k)), 2)  # duplicates and ties
        s, c = sorted_sums(a, with_code_order=True, ws={})
        np.testing.assert_array_equal(c, code_sums(a))
        np.testing.assert_array_equal(s, np.sort(code_sums(a), axis=1))
        np.testing.assert_array_equal(sorted_sums(a), s)


def test_deterministic_and_independent_of_threads_and_chunks(monkeypatch):
    rng = np.random.default_rng(3)
    a = SAMPLERS["pensia"](rng, (3000, 24))
    z = rng.uniform(-1, 1, 3000)
    r1 = solve(a, z)
    r2 = solve(a.copy(), z.copy())
    r3 = solve(a, z, workers=2)
    import subsetsum.exact as ex

    monkeypatch.setattr(ex, "CHUNK_VALUES", 4096)
    r4 = solve(a, z)
    for r in (r2, r3, r4):
        np.testing.assert_array_equal(r.masks, r1.masks)


def test_adaptive_statuses_against_brute_force():
    rng = np.random.default_rng(5)
    for eps in (0.05, 0.01, 2e-3):
        a = SAMPLERS["product"](rng, (200, 14))
        z = rng.uniform(-1, 1, 200)
        res = solve(a, z, eps=eps)
        best, _ = brute_force(a, z)
        st_ = res.status
        assert set(st_) <= {"optimal", "eps-feasible", "infeasible"}
        feas = st_ == "eps-feasible"
        assert np.all(res.errors[feas] <= eps) and np.all(res.n_used[feas] < 14)
        opt = st_ == "optimal"
        assert np.all(res.errors[opt] <= eps) and np.all(res.errors[opt] <= best[opt] + TOL)
        inf = st_ == "infeasible"
        assert np.all(best[inf] > eps) and np.all(res.errors[inf] <= best[inf] + TOL)
        # every problem with a solution within eps is found
        assert np.array_equal(best <= eps, res.errors <= eps)
        # non-adaptive: the optimum everywhere, labelled against eps
        full = solve(a, z, eps=eps, adaptive=False)
        assert np.all(full.errors <= best + TOL)
        np.testing.assert_array_equal(full.status == "infeasible", full.errors > eps)


def test_pensia_zeros_are_never_selected_and_do_not_cost():
    rng = np.random.default_rng(11)
    a = SAMPLERS["pensia"](rng, (500, 60))  # ~30 nonzero samples per row
    a[:, 30:] = 0.0  # keep it cheap: <= 30 nonzero
    z = rng.uniform(-1, 1, 500)
    res = solve(a, z, eps=1e-5)
    assert not (res.masks & (a == 0)).any()
    assert np.all(res.errors[res.status != "infeasible"] <= 1e-5)


def test_cap_error_names_n_cap_and_cpsat():
    a = np.full((2, MAX_N + 1), 0.01)
    a[0, 0] = 0.0  # row 0 has 44 nonzero: fine
    with pytest.raises(ValueError, match=rf"problem 1 has n = {MAX_N + 1} nonzero.*{MAX_N}.*cpsat"):
        solve(a, [0.1, 0.2])


def test_cap_counts_nonzero_samples_only():
    rng = np.random.default_rng(2)
    a = np.zeros((2, 80))
    a[:, :16] = rng.uniform(-1, 1, (2, 16))
    z = np.array([0.1, -0.4])
    res = solve(a, z)
    best, _ = brute_force(a[:, :16], z)
    assert np.all(res.errors <= best + TOL) and not res.masks[:, 16:].any()


@settings(max_examples=10)
@given(st.integers(21, 26), st.integers(0, 2**31 - 1))
def test_exact_against_sort_and_search_oracle(n, seed):
    """n beyond brute force: a per-problem np.sort + np.searchsorted MITM (independent)."""
    rng = np.random.default_rng(seed)
    a = SAMPLERS["uniform"](rng, (2, n))
    z = rng.uniform(-1, 1, 2)
    res = solve(a, z)
    for p in range(2):
        L = code_sums(a[p : p + 1, : n // 2])[0]
        R = np.sort(code_sums(a[p : p + 1, n // 2 :])[0])
        q = z[p] - L
        i = np.clip(np.searchsorted(R, q), 1, R.size - 1)
        best = np.minimum(np.abs(q - R[i - 1]), np.abs(q - R[i])).min()
        assert res.errors[p] <= best + TOL


def test_exact_many_small_rows_against_brute_force():
    """Thousands of rows at once: scales, zeros, duplicates and targets far outside."""
    rng = np.random.default_rng(21)
    for n in range(1, 12):
        a = rng.uniform(-1, 1, (500, n)) * rng.uniform(0.1, 3, (500, 1))
        a[rng.random(a.shape) < 0.25] = 0.0
        dup = rng.random(500) < 0.3
        a[dup, -1] = a[dup, 0]
        z = rng.uniform(-4, 4, 500)
        res = solve(a, z)
        assert_optimal(a, z, res)
        res = solve(a, z, eps=0.05)
        best, _ = brute_force(a, z)
        np.testing.assert_array_equal(res.errors <= 0.05, best <= 0.05)


def test_exact_at_the_cap_against_sort_and_search_oracle():
    """n = 40 and n = 44 (the cap): the independent per-problem sort + searchsorted MITM."""
    rng = np.random.default_rng(44)
    for n in (40, MAX_N):
        a = SAMPLERS["uniform"](rng, (1, n))
        z = rng.uniform(-1, 1, 1)
        res = solve(a, z)
        L = code_sums(a[:, : n // 2])[0]
        R = np.sort(code_sums(a[:, n // 2 :])[0])
        q = z[0] - L
        i = np.clip(np.searchsorted(R, q), 1, R.size - 1)
        best = np.minimum(np.abs(q - R[i - 1]), np.abs(q - R[i])).min()
        assert res.errors[0] <= best + TOL and res.status[0] == "optimal"


def test_on_cap_prefix_gives_the_exact_optimum_of_the_first_nonzero_samples(monkeypatch):
    """Above the cap, on_cap="prefix" returns the optimum over the first MAX_N nonzero
    samples (brute force oracle) with status "capped"; the default still raises."""
    import itertools

    import subsetsum.exact as exact
    from subsetsum import solve

    monkeypatch.setattr(exact, "MAX_N", 8)
    rng = np.random.default_rng(11)
    a = rng.uniform(-1, 1, (6, 14))
    a[:, ::3] = 0.0  # zeros are skipped when counting the first nonzero samples
    z = rng.uniform(-1, 1, 6)
    for eps in (None, 1e-12):
        with pytest.raises(ValueError, match="above the cap"):
            solve(a, z, eps=eps)
        res = solve(a, z, eps=eps, on_cap="prefix")
        assert set(res.status) == {"capped"}
        for p in range(6):
            nz = np.flatnonzero(a[p])[:8]
            best = min(abs(z[p] - sum(s)) for r in range(9) for s in itertools.combinations(a[p, nz], r))
            assert res.errors[p] == pytest.approx(best, abs=1e-12)
            assert not res.masks[p, np.setdiff1d(np.arange(14), nz)].any()
