"""CP-SAT and MILP against the exact solver and brute force."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_subsetsum_exact import TOL, brute_force

from subsetsum import SAMPLERS, evaluate, solve
from subsetsum.cpsat import scale_for


@st.composite
def problems(draw, max_n=10, max_p=3):
    n = draw(st.integers(0, max_n))
    P = draw(st.integers(1, max_p))
    seed = draw(st.integers(0, 2**31 - 1))
    dist = draw(st.sampled_from(["uniform", "product", "pensia"]))
    rng = np.random.default_rng(seed)
    return SAMPLERS[dist](rng, (P, n)), rng.uniform(-1.2, 1.2, P)


@settings(max_examples=15)
@given(problems())
def test_cpsat_optimality_never_better_than_exact(prob):
    a, z = prob
    exact = solve(a, z)
    res = solve(a, z, method="cpsat", time_limit=10)
    assert not (res.masks & (a == 0)).any()
    _, errors = evaluate(a, res.masks, z)
    np.testing.assert_array_equal(res.errors, errors)
    assert np.all(res.errors >= exact.errors - TOL)
    opt = res.status == "optimal"
    assert opt.all()  # n <= 10: CP-SAT proves these quickly
    # proven: within the rounding slack of the true optimum
    assert np.all(res.errors[opt] <= exact.errors[opt] + res.slack[opt] + TOL)
    np.testing.assert_array_equal(res.error_bounds, res.errors + res.slack)


@settings(max_examples=15)
@given(problems(), st.sampled_from([0.1, 0.01, 1e-3]))
def test_cpsat_feasibility_is_verified_in_float64(prob, eps):
    a, z = prob
    res = solve(a, z, eps=eps, method="cpsat", time_limit=10)
    best, _ = brute_force(a, z)
    feas = res.status == "eps-feasible"
    _, errors = evaluate(a, res.masks, z)
    assert np.all(errors[feas] <= eps)
    # "infeasible" is a proof: brute force agrees
    inf = res.status == "infeasible"
    assert np.all(best[inf] > eps)
    # and nothing within eps was missed (n small, no time limit hit)
    assert np.array_equal(feas, best <= eps)


@settings(max_examples=15)
@given(problems(max_n=11), st.sampled_from([0.2, 0.05, 0.01]))
def test_min_cardinality_is_minimal(prob, eps):
    a, z = prob
    res = solve(a, z, eps=eps, method="cpsat", min_cardinality=True, time_limit=10)
    _, errs = brute_force(a, z)
    n = a.shape[1]
    size = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).sum(axis=1)
    for p in range(a.shape[0]):
        ok = errs[p] <= eps
        if not ok.any():
            assert res.status[p] == "infeasible"
            continue
        assert res.status[p] == "optimal"
        assert res.errors[p] <= eps
        assert res.masks[p].sum() == size[ok].min()


def test_cpsat_deterministic_with_seed_and_one_worker():
    rng = np.random.default_rng(0)
    a = SAMPLERS["product"](rng, (4, 30))
    z = rng.uniform(-1, 1, 4)
    r1 = solve(a, z, eps=1e-4, method="cpsat", seed=3, workers=1, time_limit=30)
    r2 = solve(a, z, eps=1e-4, method="cpsat", seed=3, workers=1, time_limit=30)
    np.testing.assert_array_equal(r1.masks, r2.masks)
    assert np.all(r1.errors <= 1e-4) and set(r1.status) == {"eps-feasible"}


def test_cpsat_rounding_bound_holds():
    """(*) of subsetsum.cpsat, in exact rational arithmetic:
    |S |z - a.x| - |T - A.x|| <= (|x| + 1)/2 for random subsets x."""
    from fractions import Fraction

    rng = np.random.default_rng(4)
    for eps in (None, 1e-2, 1e-7, 1e-12):
        a = SAMPLERS["product"](rng, 40)
        z = rng.uniform(-1, 1)
        S = scale_for(a, z, eps)
        assert S == 2.0 ** np.floor(np.log2(S)) and S <= 1e15
        A = [int(v) for v in np.rint(S * a)]
        T = int(np.rint(S * z))
        Sf = Fraction(S)
        for _ in range(50):
            x = np.flatnonzero(rng.random(40) < 0.5)
            real = abs(Fraction(z) - sum(Fraction(float(a[i])) for i in x))
            lhs = abs(Sf * real - abs(T - sum(A[i] for i in x)))
            assert lhs <= Fraction(len(x) + 1, 2)


@settings(max_examples=10)
@given(problems(max_n=9), st.sampled_from([None, 0.01]))
def test_milp_never_better_than_exact_and_claims_verified(prob, eps):
    a, z = prob
    exact = solve(a, z)
    res = solve(a, z, eps=eps, method="milp", time_limit=10)
    assert not (res.masks & (a == 0)).any()
    assert np.all(res.errors >= exact.errors - TOL)
    np.testing.assert_array_equal(res.slack, 0.0)
    opt = res.status == "optimal"
    assert np.all(res.errors[opt] <= exact.errors[opt] + 1e-12)
    if eps is not None:
        assert np.all(res.errors[res.status == "eps-feasible"] <= eps)
        assert np.all(exact.errors[res.status == "infeasible"] > eps)


@pytest.mark.slow
def test_milp_optimal_claims_are_refuted_at_n24():
    """The documented pitfall: HiGHS says "optimal" for non-optimal subsets at n >= 24."""
    rng = np.random.default_rng(0)
    a = SAMPLERS["uniform"](rng, (6, 24))
    z = rng.uniform(-1, 1, 6)
    exact = solve(a, z)
    res = solve(a, z, method="milp", time_limit=20)
    claimed = res.backend_status == "optimal"
    wrong = claimed & (res.errors > exact.errors + 1e-12)
    assert np.all(res.status[wrong] == "time-limit")
