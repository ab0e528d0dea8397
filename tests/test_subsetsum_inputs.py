"""Bad input gives clear errors; the samplers have the stated laws and are seeded."""

import json

import numpy as np
import pytest
from scipy import stats

from subsetsum import SAMPLERS, solve
from subsetsum.distributions import draw


@pytest.mark.parametrize(
    "bad, where",
    [(np.nan, r"samples\[1, 2\] = nan"), (np.inf, r"samples\[1, 2\] = inf"), (-np.inf, r"samples\[1, 2\] = -inf")],
)
def test_non_finite_samples_name_row_and_column(bad, where):
    a = np.zeros((3, 4))
    a[1, 2] = bad
    for method in ("exact", "cpsat", "milp"):
        with pytest.raises(ValueError, match=where):
            solve(a, [0.1, 0.2, 0.3], method=method)


def test_non_finite_target():
    with pytest.raises(ValueError, match=r"targets\[1\] = nan"):
        solve(np.zeros((2, 3)), [0.1, np.nan])


@pytest.mark.parametrize("eps", [0, -1, -1e-9, np.inf, np.nan])
def test_eps_must_be_positive(eps):
    with pytest.raises(ValueError, match=r"eps must be (a number )?> 0, got"):
        solve(np.zeros((1, 3)), [0.1], eps=eps)
    with pytest.raises(ValueError, match=r"eps must be > 0, got -1"):
        solve(np.zeros((1, 3)), [0.1], eps=-1)


def test_mismatched_shapes_name_both():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2,\)"):
        solve(np.zeros((3, 4)), np.zeros(2))
    with pytest.raises(ValueError, match=r"targets must have shape \(P,\), got shape \(2, 2\)"):
        solve(np.zeros((2, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        solve(np.zeros((2, 3, 4)), np.zeros(2))


def test_one_sample_vector_is_shared_by_all_targets():
    a = np.array([0.5, -0.25, 0.125])
    res = solve(a, [0.375, -0.25, 0.625])
    np.testing.assert_array_equal(res.errors, 0.0)
    assert res.masks.shape == (3, 3)


def test_other_bad_arguments():
    a, z = np.zeros((1, 3)), [0.1]
    with pytest.raises(
        ValueError, match=r"method must be one of 'auto', 'cpsat', 'exact', 'ktree', 'milp', got 'gurobi'"
    ):
        solve(a, z, method="gurobi")
    with pytest.raises(ValueError, match=r"workers must be an integer >= 1, got 0"):
        solve(a, z, workers=0)
    with pytest.raises(ValueError, match=r"time_limit \(seconds\) must be > 0"):
        solve(a, z, method="cpsat", time_limit=-1)
    with pytest.raises(ValueError, match=r"min_cardinality=True needs method='cpsat' and an eps"):
        solve(a, z, min_cardinality=True)
    with pytest.raises(ValueError, match=r"min_cardinality=True needs"):
        solve(a, z, method="cpsat", min_cardinality=True)
    with pytest.raises(ValueError, match=r"seed must be an integer"):
        solve(a, z, method="cpsat", seed=-3)
    with pytest.raises(ValueError, match=r"rectangular"):
        solve([[0.1, 0.2], [0.3]], [0.1, 0.2])


def test_samplers_are_seeded_and_in_range():
    for name, f in SAMPLERS.items():
        x = f(np.random.default_rng(5), (400, 30))
        y = f(np.random.default_rng(5), (400, 30))
        assert x.dtype == np.float64 and x.shape == (400, 30)
        np.testing.assert_array_equal(x, y)
        assert np.all(np.abs(x) <= 1)
        np.testing.assert_array_equal(draw(name, (400, 30), 5), x)
    with pytest.raises(ValueError, match="distribution must be one of"):
        draw("gauss", 3)


def _cdf_product(t):
    """P(UV <= t) for U ~ U[0,1], V ~ U[-1,1]: density ½ ln(1/|x|) on [-1, 1]."""
    t = np.asarray(t, dtype=float)
    s = np.abs(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = 0.5 * np.where(s > 0, s - s * np.log(s), 0.0)
    return np.clip(0.5 + np.sign(t) * half, 0, 1)


def test_sampler_laws():
    rng = np.random.default_rng(0)
    u = SAMPLERS["uniform"](rng, 20000)
    assert stats.kstest(u, stats.uniform(-1, 2).cdf).pvalue > 1e-3
    p = SAMPLERS["product"](rng, 20000)
    assert stats.kstest(p, _cdf_product).pvalue > 1e-3
    # same law as the product of two independent U[-1, 1]
    q = rng.uniform(-1, 1, 20000) * rng.uniform(-1, 1, 20000)
    assert stats.ks_2samp(p, q).pvalue > 1e-3
    d = SAMPLERS["pensia"](rng, 40000)
    zero = d == 0
    assert abs(zero.mean() - 0.5) < 0.015
    assert stats.kstest(d[~zero], _cdf_product).pvalue > 1e-3
    # a sampler that is NOT the product law is rejected by the same test (the test can fail)
    assert stats.kstest(u, _cdf_product).pvalue < 1e-6


def test_cli_subsetsum_json(capsys):
    from slt.cli import main

    assert main(["subsetsum", "--n", "21", "--targets", "0.3", "-0.7", "--eps", "0.01", "--seed", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    a = np.array(out["samples"])
    assert a.shape == (21,) and out["method"] == "exact"
    for prob in out["problems"]:
        mask = np.array([c == "1" for c in prob["mask"]])
        assert abs(abs(prob["target"] - a[mask].sum()) - prob["error"]) < 1e-15
        assert prob["status"] in ("eps-feasible", "optimal", "infeasible")
        if prob["status"] != "infeasible":
            assert prob["error"] <= 0.01


def test_cli_subsetsum_text_methods_and_errors(capsys):
    from slt.cli import main

    for extra in (
        [],
        ["--method", "cpsat"],
        ["--method", "milp"],
        ["--method", "cpsat", "--eps", "0.05", "--min-cardinality"],
        ["--distribution", "pensia", "--sup-error"],
    ):
        assert main(["subsetsum", "--n", "12", "--targets", "0.3", *extra]) == 0
        text = capsys.readouterr().out
        assert "status" in text and "0.3000" in text
    with pytest.raises(SystemExit) as exc:
        main(["subsetsum", "--n", "12", "--eps", "-1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--eps must be > 0" in err and "Traceback" not in err and err.count("\n") == 1


def test_bench_subsetsum_small(capsys):
    from slt.bench import main

    assert (
        main(
            [
                "subsetsum",
                "--n",
                "16",
                "--instances",
                "3000",
                "--eps",
                "0.01",
                "--compare",
                "--compare-instances",
                "3",
                "--lower-bound",
                "--lower-bound-instances",
                "200",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    for key in ("seconds", "problems_per_second", "max_error", "fraction_within_eps", "peak_memory_mb"):
        assert key in out
    assert out["fraction_proven"] == 1.0
    assert 0.9 < out["fraction_within_eps"] <= 1
    assert out["compare"]["cpsat"]["better_than_exact_optimum"] == 0
    assert out["compare"]["milp"]["better_than_exact_optimum"] == 0
    assert out["lower_bound"]["ratio_exact_vs_sort_bound"] > 0


def test_overflowing_magnitudes_are_rejected():
    from subsetsum import sup_error

    with pytest.raises(ValueError, match=r"problem 1: sum \|samples\| \+ \|target\| = inf overflows"):
        solve([[0.1, 0.2], [1e308, 1e308]], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"problem 0: sum \|samples\| = inf overflows"):
        sup_error([[1e308, 1e308]])
    # tiny (subnormal) samples are fine
    assert solve([[1e-300, 5e-301, 0.0]], [7e-301]).errors[0] <= 2.1e-301
