"""method="ktree" (Wagner's k-tree) and method="auto": every mask re-checked from scratch,
claims checked against the exact optimum (meet-in-the-middle) and brute force, the tree's
building blocks against per-row NumPy oracles, determinism and row independence."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsetsum import SAMPLERS, evaluate, solve
from subsetsum.tree import bracket, closest_pair, ktree_selection, pair, window_merge

EPS_VALUES = [1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-13]


def check_masks(a, z, eps, res):
    """Masks are subsets of the nonzero samples, sums/errors are the canonical float64
    evaluation of the masks (and agree with an independent math.fsum), statuses are
    honest about eps."""
    import math

    assert not (res.masks & (a == 0)).any(), "a zero sample was selected"
    sums, errors = evaluate(a, res.masks, z)
    np.testing.assert_array_equal(res.sums, sums)
    np.testing.assert_array_equal(res.errors, errors)
    for p in range(a.shape[0]):
        exact_sum = math.fsum(a[p, res.masks[p]])
        assert abs(exact_sum - res.sums[p]) <= 1e-15 * (1 + np.abs(a[p]).sum())
    assert set(res.status) <= {"optimal", "eps-feasible", "infeasible", "capped"}
    ok = np.isin(res.status, ("eps-feasible", "optimal"))
    assert np.all(res.errors[ok] <= eps)
    assert np.all(res.errors[res.status == "infeasible"] > eps)


# ---------------------------------------------------------------- building blocks


@pytest.mark.parametrize("seed", range(4))
def test_bracket_against_searchsorted(seed):
    rng = np.random.default_rng(seed)
    M, NA, NB = 7, 33, 20
    A = np.sort(np.round(rng.normal(size=(M, NA)), 1), axis=1)  # ties and duplicates
    B = np.sort(np.round(rng.normal(size=(M, NB)), 1), axis=1)
    s, r = bracket(A, B)
    lo, hi = s[:, :NA], s[:, NA:]
    for m in range(M):
        want = np.searchsorted(B[m], -A[m], side="right")  # #{j : B_j <= -A_i}
        np.testing.assert_array_equal(r[m], want)
        Bp = np.concatenate([[-np.inf], B[m], [np.inf]])
        np.testing.assert_array_equal(lo[m], A[m] + Bp[want])
        np.testing.assert_array_equal(hi[m], A[m] + Bp[want + 1])
        assert np.all(lo[m] <= 0) and np.all(hi[m] > 0)


def test_window_merge_keeps_the_nearest_candidates_and_their_parents():
    rng = np.random.default_rng(1)
    M, N, keep = 5, 64, 48
    A = np.sort(rng.normal(size=(M, N)), axis=1)
    B = np.sort(rng.normal(size=(M, N)), axis=1)
    vals, c, r = window_merge(A, B, keep)
    i, j = pair(c, r)
    assert vals.shape == i.shape == j.shape == (M, keep)
    assert np.all(np.diff(vals, axis=1) >= 0)
    for m in range(M):
        np.testing.assert_array_equal(vals[m], A[m, i[m]] + B[m, j[m]])
        assert len(set(zip(i[m], j[m]))) == keep  # distinct pairs
        # the candidates of A_i are B's two neighbours of -A_i; keep the nearest 0
        r = np.searchsorted(B[m], -A[m], side="right")
        cand = [A[m, t] + B[m, u] for t in range(N) for u in (r[t] - 1, r[t]) if 0 <= u < N]
        np.testing.assert_array_equal(np.sort(np.abs(vals[m])), np.sort(np.abs(cand))[:keep])


def test_closest_pair_is_the_optimum_over_all_pairs():
    rng = np.random.default_rng(2)
    A = np.sort(rng.normal(size=(6, 40)), axis=1)
    B = np.sort(rng.normal(size=(6, 25)), axis=1)
    val, c, r = closest_pair(A, B)
    i, j = pair(c, r)
    best = np.abs(A[:, :, None] + B[:, None, :]).reshape(6, -1).min(axis=1)
    np.testing.assert_array_equal(np.abs(val[:, 0]), best)
    np.testing.assert_array_equal(val[:, 0], A[np.arange(6), i[:, 0]] + B[np.arange(6), j[:, 0]])


def brute_force_best(a, z):
    n = a.shape[1]
    bits = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    return np.abs(z[:, None] - a @ bits.T).min(axis=1)


def test_two_list_tree_is_meet_in_the_middle_against_brute_force():
    """k = 2 (L = 1): the root's closest pair is the exact optimum, so the whole chain
    (leaf sums, shifts, closest pair, trace, exact recovery of the subsets) is checked
    against brute force."""
    rng = np.random.default_rng(3)
    for g in (1, 3, 6):
        groups = np.round(rng.uniform(-1, 1, (40, 2, g)), 3)
        z = rng.uniform(-1.5, 1.5, 40)
        sel = ktree_selection(groups, z).reshape(40, -1)
        a = groups.reshape(40, -1)
        _, err = evaluate(a, sel, z)
        np.testing.assert_allclose(err, brute_force_best(a, z), atol=1e-12)


def test_tree_selection_is_an_exact_subset_of_its_groups():
    rng = np.random.default_rng(4)
    groups = SAMPLERS["product"](rng, (30, 8, 7))
    z = rng.uniform(-1, 1, 30)
    sel = ktree_selection(groups, z)
    assert sel.shape == groups.shape and sel.dtype == bool
    _, err = evaluate(groups.reshape(30, -1), sel.reshape(30, -1), z)
    assert np.median(err) < 1e-6  # 8 lists of 2^7 sums: ~2^-28 expected


# ---------------------------------------------------------------- solve(method="ktree"/"auto")

values = st.one_of(
    st.floats(-1, 1, allow_nan=False, allow_subnormal=False),
    st.just(0.0),
    st.sampled_from([0.5, -0.5, 0.25, 0.1, -0.3, 1.0, -1.0]),
)


@st.composite
def rows(draw, max_n=40):
    """Rows with zeros, duplicates (pool values), optionally all negative; targets in
    [-1.5, 1.5] or exactly +-1; eps from 1e-2 to 1e-13."""
    n = draw(st.one_of(st.integers(0, 10), st.integers(18, max_n)))  # the tree needs >= 8
    P = draw(st.integers(1, 4))
    a = np.array(draw(st.lists(values, min_size=P * n, max_size=P * n)), dtype=float).reshape(P, n)
    if draw(st.booleans()):
        a[0] = -np.abs(a[0])
    z = np.array(
        draw(
            st.lists(
                st.one_of(st.floats(-1.5, 1.5, allow_nan=False), st.sampled_from([1.0, -1.0])), min_size=P, max_size=P
            )
        )
    )
    return a, z, draw(st.sampled_from(EPS_VALUES + [1e-3, 1e-4, 1e-5]))  # the tree's range twice


@settings(max_examples=40)
@given(rows())
def test_ktree_and_auto_masks_and_claims_against_the_exact_optimum(prob):
    a, z, eps = prob
    best = solve(a, z, eps=None).errors  # exact optimum (<= 40 nonzero)
    for method in ("ktree", "auto"):
        res = solve(a, z, eps=eps, method=method)
        check_masks(a, z, eps, res)
        # wherever some subset reaches eps, the answer does (tree or exact fallback)
        np.testing.assert_array_equal(res.errors <= eps, best <= eps)
        proven = np.isin(res.status, ("optimal", "infeasible"))
        assert np.all(res.errors[proven] <= best[proven] + 1e-12)


def test_feasibility_agrees_with_the_exact_optimum_where_the_tree_runs(monkeypatch):
    """n = 24..30 nonzero samples: the tree answers most problems, the exact fallback the rest (both are
    exercised: counted); a problem reaches eps exactly when its exact optimum does."""
    import subsetsum.ktree as kt

    calls = {"tree": 0, "fallback": 0}
    tree_masks, solve_exact = kt.tree_masks, kt.solve_exact

    def count(name, fn):
        def wrapped(*args, **kw):
            calls[name] += 1
            return fn(*args, **kw)

        return wrapped

    monkeypatch.setattr(kt, "tree_masks", count("tree", tree_masks))
    monkeypatch.setattr(kt, "solve_exact", count("fallback", solve_exact))
    rng = np.random.default_rng(12)
    for dist, n in (("product", 24), ("pensia", 56), ("uniform", 30)):
        a = SAMPLERS[dist](rng, (80, n))
        a = a[np.count_nonzero(a, axis=1) <= 30]
        z = rng.uniform(-1, 1, a.shape[0])
        best = solve(a, z).errors
        for eps in (1e-3, 1e-4, 1e-5, 1e-6):
            for method in ("ktree", "auto"):
                res = solve(a, z, eps=eps, method=method)
                check_masks(a, z, eps, res)
                np.testing.assert_array_equal(res.errors <= eps, best <= eps)
    assert calls["tree"] > 0 and calls["fallback"] > 0


def test_ktree_finds_eps_on_many_samples_and_never_claims_optimality():
    """Pensia's D, 250 samples (~125 nonzero): the tree alone answers, every answer is a
    checked eps-feasible subset of at most k g nonzero samples."""
    rng = np.random.default_rng(7)
    for eps, P in ((1e-8, 200), (1e-10, 200), (1e-13, 40)):
        a = SAMPLERS["pensia"](rng, (P, 250))
        z = rng.uniform(-1, 1, P)
        res = solve(a, z, eps=eps, method="ktree", on_cap="prefix")
        check_masks(a, z, eps, res)
        assert set(res.status) == {"eps-feasible"}
        assert np.all(res.masks.sum(axis=1) <= res.n_used)
        assert np.all(res.n_used <= np.count_nonzero(a, axis=1))


def test_needs_eps_and_bad_arguments():
    a, z = np.ones((1, 30)) * 0.1, [0.3]
    with pytest.raises(ValueError, match=r"method='ktree' needs an eps > 0.*got eps=None"):
        solve(a, z, method="ktree")
    with pytest.raises(ValueError, match=r"on_cap must be 'raise' or 'prefix', got 'x'"):
        solve(a, z, eps=1e-3, method="auto", on_cap="x")
    with pytest.raises(ValueError, match=r"method must be one of 'auto', 'cpsat', 'exact', 'ktree', 'milp'"):
        solve(a, z, method="tree")
    tiny = np.full((2, 30), 1e-310)  # subnormal samples and eps
    for method in ("exact", "ktree", "auto"):
        res = solve(tiny, [1e-309, -1e-309], eps=1e-320, method=method)
        check_masks(tiny, np.array([1e-309, -1e-309]), 1e-320, res)
    for method in ("ktree", "auto"):  # empty batches
        res = solve(np.zeros((0, 7)), [], eps=1e-3, method=method)
        assert res.masks.shape == (0, 7) and len(res) == 0


def test_deterministic_seeded_and_independent_of_rows_threads_and_chunks(monkeypatch):
    import subsetsum.ktree as kt

    rng = np.random.default_rng(8)
    a = SAMPLERS["pensia"](rng, (120, 200))
    z = rng.uniform(-1, 1, 120)
    r1 = solve(a, z, eps=1e-9, method="ktree")
    r2 = solve(a.copy(), z.copy(), eps=1e-9, method="ktree")
    r3 = solve(a, z, eps=1e-9, method="ktree", workers=2)
    halves = [solve(a[s], z[s], eps=1e-9, method="ktree") for s in (slice(0, 37), slice(37, None))]
    monkeypatch.setattr(kt, "CHUNK_VALUES", 1000)
    r4 = solve(a, z, eps=1e-9, method="ktree")
    monkeypatch.setattr(kt, "BLOCK_VALUES", 1000)  # row blocks of 5 rows
    r5 = solve(a, z, eps=1e-9, method="ktree")
    for r in (r2, r3, r4, r5):
        np.testing.assert_array_equal(r.masks, r1.masks)
    np.testing.assert_array_equal(np.concatenate([h.masks for h in halves]), r1.masks)
    other = solve(a, z, eps=1e-9, method="ktree", seed=1)  # another seed: other groupings
    check_masks(a, z, 1e-9, other)
    assert (other.masks != r1.masks).any()


def test_fallback_statuses_infeasible_and_capped(monkeypatch):
    """All-negative rows with target +1 defeat the tree: the exact fallback proves
    infeasibility (<= MAX_N nonzero) or, above the cap, reports "capped" (raises by default)."""
    import subsetsum.exact as exact

    rng = np.random.default_rng(9)
    a = -np.abs(SAMPLERS["product"](rng, (3, 30)))
    res = solve(a, np.ones(3), eps=1e-6, method="ktree")
    assert set(res.status) == {"infeasible"}
    np.testing.assert_array_equal(res.masks, np.zeros_like(res.masks))  # optimum: empty set
    monkeypatch.setattr(exact, "MAX_N", 20)
    res = solve(a, np.ones(3), eps=1e-6, method="ktree", on_cap="prefix")
    assert set(res.status) == {"capped"}
    with pytest.raises(ValueError, match="above the cap"):
        solve(a, np.ones(3), eps=1e-6, method="ktree")


def test_auto_is_exact_where_the_prefix_is_short():
    from subsetsum.auto import AUTO_PREFIX, use_ktree

    rng = np.random.default_rng(10)
    a = SAMPLERS["product"](rng, (400, 21))
    z = rng.uniform(-1, 1, 400)
    for eps in (None, 0.01, 1e-4):  # 1e-4: k_0 = 18 > AUTO_PREFIX, tree rows too
        exact = solve(a, z, eps=eps)
        auto = solve(a, z, eps=eps, method="auto")
        routed = use_ktree(np.count_nonzero(a, axis=1), eps)
        np.testing.assert_array_equal(auto.masks[~routed], exact.masks[~routed])
        np.testing.assert_array_equal(auto.status[~routed], exact.status[~routed])
    assert not use_ktree(np.array([AUTO_PREFIX, 100]), 0.01).any()
    np.testing.assert_array_equal(use_ktree(np.array([AUTO_PREFIX, AUTO_PREFIX + 1]), 1e-6), [False, True])
    # adaptive=False asks for the exact optimum: every row exact
    full = solve(a[:20], z[:20], eps=1e-6, method="auto", adaptive=False)
    np.testing.assert_array_equal(full.masks, solve(a[:20], z[:20], eps=1e-6, adaptive=False).masks)


def test_plan_fits_the_samples_and_the_precision():
    from subsetsum.ktree import MARGIN_BITS, MAX_TREE_VALUES, plan

    nnz = np.array([0, 10, 40, 125, 125, 125, 250])
    sigma = np.full(7, 1 / 3)
    for eps in (1e-4, 1e-8, 1e-10, 1e-13):
        L, g = plan(nnz, sigma, eps)
        has = L > 0
        assert np.all((g[has] << L[has]) <= nnz[has])
        assert np.all((1 << (L[has] + g[has])) <= MAX_TREE_VALUES)
        gh, Lh = g[has], L[has]
        margin = np.log2(eps / (sigma[has] * 1.25 * np.sqrt(2 * gh) / 2)) + gh * (Lh + 1) - 0.55 * (Lh - 1)
        assert np.all(margin >= MARGIN_BITS - 1e-9)
        assert not has[0] and not has[1]
        assert has[3:].all()


# ---------------------------------------------------------------- registry and command line


def test_registry_lists_every_method_and_the_cli_reads_it():
    from slt.cli import build_parser
    from subsetsum import METHODS

    assert list(METHODS) == ["auto", "cpsat", "exact", "ktree", "milp"]
    assert all(m.name == name and m.summary for name, m in METHODS.items())
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for cmd in ("subsetsum", "prune"):
        method = next(a for a in sub[cmd]._actions if a.dest == "method")
        assert list(method.choices) == list(METHODS)
    assert next(a for a in sub["prune"]._actions if a.dest == "method").default == "auto"
    dist = next(a for a in sub["subsetsum"]._actions if a.dest == "distribution")
    assert list(dist.choices) == list(SAMPLERS)


def test_a_new_method_is_found_in_its_own_module(tmp_path, monkeypatch):
    """Discovery: a module defining METHOD is registered without touching any other file."""
    from subsetsum.registry import Method, _discover

    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "greedy.py").write_text(
        "from subsetsum.registry import Method\n"
        "METHOD = Method('greedy', lambda a, z, eps, options: None, 'take samples while they help')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = _discover("fakepkg")
    assert list(found) == ["greedy"] and isinstance(found["greedy"], Method)


def test_cli_ktree_json_and_missing_eps(capsys):
    from slt.cli import main

    assert (
        main(
            [
                "subsetsum",
                "--n",
                "250",
                "--distribution",
                "pensia",
                "--method",
                "ktree",
                "--eps",
                "1e-10",
                "--targets",
                "0.3",
                "-0.7",
                "1",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    a = np.array(out["samples"])
    for prob in out["problems"]:
        mask = np.array([c == "1" for c in prob["mask"]])
        assert prob["status"] == "eps-feasible" and prob["error"] <= 1e-10
        assert not (mask & (a == 0)).any()
        assert abs(prob["target"] - a[mask].sum()) <= 1e-10 + 1e-14
    with pytest.raises(SystemExit) as exc:
        main(["subsetsum", "--n", "30", "--method", "ktree"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "needs an eps" in err and "Traceback" not in err and err.count("\n") == 1


def test_bench_compare_two_methods(capsys):
    from slt.bench import main

    assert (
        main(
            [
                "subsetsum",
                "--n",
                "250",
                "--distribution",
                "pensia",
                "--eps",
                "1e-8",
                "--instances",
                "300",
                "--method",
                "auto",
                "--compare",
                "exact",
                "auto",
                "--compare-instances",
                "4",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["fraction_within_eps"] == 1.0 and out["status_counts"]["eps-feasible"] == 300
    cmp = out["compare"]
    assert cmp["methods"] == ["exact", "auto"] and cmp["compare_instances"] == 4
    assert cmp["exact"]["fraction_within_eps"] == cmp["auto"]["fraction_within_eps"] == 1.0
    assert cmp["speed_ratio"] == pytest.approx(cmp["exact"]["us_per_problem"] / cmp["auto"]["us_per_problem"])
    for bad in (["--compare", "exact"], ["--method", "ktree"], ["--compare", "exact", "ktree"]):
        with pytest.raises(SystemExit):
            main(["subsetsum", *bad])
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ("--compare takes two" in err or "needs --eps" in err)
