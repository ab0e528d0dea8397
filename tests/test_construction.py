"""The SLT construction: pruning a random 2l-layer network to a target (THEORY §3, §5)."""

import numpy as np
import pytest

from constructions import (
    Layer,
    basis_from_specs,
    forward,
    from_masks,
    hidden_basis,
    network_equivariance_error,
    overparameterize,
    prune,
    random_network,
    verify,
)
from constructions.construction import layer_eps, layer_paths, split_input
from constructions.verify import certificate, layer_bound, network_bound, optimised_prefix, unit_sphere


def steer(group, field, grid=4, kernel=3):
    return dict(family="steerable", grid=grid, kernel=kernel, group=group, field=field)


FAMILIES = {
    "mlp": ([dict(family="mlp")] * 3, [3, 4, 2]),
    "cnn": ([dict(family="cnn", grid=4, kernel=3)] * 2, [1, 2]),
    "C4 regular": ([steer("C4", "trivial"), steer("C4", "regular"), steer("C4", "point")], [1, 2, 2]),
    "D4 regular": ([steer("D4", "regular"), steer("D4", "regular")], [1, 1]),
    "D6 hexagonal": ([steer("D6", "trivial", 3), steer("D6", "regular", 3)], [1, 1]),
    "S_n 1->1": ([dict(family="perm", n=4, order=1)] * 3, [2, 2, 1]),
    "S_n 2->2->1": (
        [dict(family="perm", n=3, order=2), dict(family="perm", n=3, order=2), dict(family="perm", n=3, order=1)],
        [1, 2, 1],
    ),
    "C_n on 2-tensors": (
        [dict(family="perm", n=4, order=2, subgroup="C"), dict(family="perm", n=4, order=1, subgroup="C")],
        [1, 2],
    ),
}


def build(name, seed=0):
    specs, channels = FAMILIES[name]
    bases = [basis_from_specs(a, b) for a, b in zip(specs, specs[1:])]
    return random_network(bases, channels, np.random.default_rng(seed))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_large_m_reaches_eps_for_every_family(name):
    eps = 0.05
    target = build(name)
    rand = overparameterize(target, 40, seed=1)
    result = prune(rand, target, eps=eps)
    rep = verify(
        result,
        target,
        eps=eps,
        rng=np.random.default_rng(2),
        samples=64,
        ascent_steps=5,
        equivariance_elements=4,
        certify=False,
    )
    # measured error is below the analytic bound, which is below eps
    assert rep["sup_error_ascent"] <= rep["error_bound"] * (1 + 1e-9) + 1e-15
    assert rep["error_bound"] <= eps and rep["within_eps"]
    assert rep["equivariance_error"] < 1e-10
    assert rep["collapse_check"] < 1e-10
    assert 0 < rep["kept_params"] <= rep["random_params"]
    # every problem the solver calls solved reached its per-layer accuracy eps'
    for err, e_l, status in zip(result.errors, result.eps_layer, result.status):
        solved = status != "infeasible"
        assert solved.mean() > 0.95
        assert np.abs(err[solved]).max() <= e_l * (1 + 1e-12)


def test_dense_composition_equals_engine_and_collapse():
    target = build("C4 regular")
    rand = overparameterize(target, 6, seed=3)
    result = prune(rand, target)
    x = np.random.default_rng(0).standard_normal((4, 1, target[0].basis.shape[1]))
    h = x.reshape(4, -1).T
    for i, layer in enumerate(result.pruned):
        h = layer.dense() @ (h if i == 0 else np.maximum(h, 0))
    dense = h.T.reshape(4, target[-1].n_out, -1)
    assert np.allclose(forward(result.pruned, x), dense, rtol=1e-12, atol=1e-13)
    assert np.allclose(result.forward(x), dense, rtol=1e-12, atol=1e-13)
    # the collapsed first layer is exactly [S+ S-] on (relu x, relu -x)
    assert np.allclose(forward(result.collapsed, split_input(x)), dense, atol=1e-13)


def test_pruned_network_is_equivariant_and_masks_are_binary():
    target = build("S_n 2->2->1")
    result = prune(overparameterize(target, 8, seed=0), target)
    assert network_equivariance_error(result.pruned) < 1e-10
    for mask, layer, rl in zip(result.masks, result.pruned, overparameterize(target, 8, seed=0)):
        assert mask.dtype == bool
        assert np.array_equal(layer.coeffs, rl.coeffs * mask)


def test_analytic_bounds_hold_on_random_inputs_even_when_m_is_small():
    target = build("D4 regular")
    result = prune(overparameterize(target, 5, seed=4), target)
    rep = verify(
        result,
        target,
        eps=0.01,
        rng=np.random.default_rng(0),
        samples=128,
        ascent_steps=10,
        equivariance_elements=2,
        certify=False,
    )
    assert rep["sup_error_ascent"] <= rep["error_bound"] * (1 + 1e-9)
    # the per-layer bound dominates the single layer pair's error on inputs
    x = unit_sphere(np.random.default_rng(1), 64, 1, target[0].basis.shape[1])
    err = np.linalg.norm((forward(target, x) - result.forward(x)).reshape(64, -1), axis=1).max()
    assert err <= layer_bound(target[0].basis, result.errors[0]) * (1 + 1e-9)


def test_m_too_small_is_reported_not_raised():
    target = build("mlp")
    result = prune(overparameterize(target, 2, seed=0), target, eps=0.01)
    rep = verify(result, target, eps=0.01, rng=np.random.default_rng(0), samples=16, ascent_steps=2)
    assert rep["within_eps"] is False
    assert rep["certified"] is False
    assert rep["certified_bound"] > 0.01
    assert "infeasible" in rep["subset_sum_status"]


def test_certificate_covers_other_targets_of_the_same_draw():
    """Level 2: one random draw, certified bound B; ANY target with ||W_i|| <= 1 pruned from
    the same draw has error <= B."""
    name = "S_n 1->1"
    target = build(name)
    rand = overparameterize(target, 16, seed=5)
    result = prune(rand, target)
    rep = verify(result, target, rng=np.random.default_rng(0), samples=16, ascent_steps=0)
    bound = rep["certified_bound"]
    assert bound is not None and rep["certificate_rows_upper_bound"] == 0
    assert rep["error_bound"] <= bound * (1 + 1e-9)
    for seed in range(1, 6):
        other = build(name, seed=seed)
        res = prune(rand, other)
        worst = max(layer_bound(L.basis, e) for L, e in zip(other, res.errors))
        assert worst <= max(rep["certified_layer_bounds"]) * (1 + 1e-9)
        x = unit_sphere(np.random.default_rng(seed), 32, other[0].n_in, other[0].basis.shape[1])
        err = np.linalg.norm((forward(other, x) - res.forward(x)).reshape(32, -1), axis=1).max()
        assert err <= bound * (1 + 1e-9)


def test_network_bound_formula():
    assert network_bound([0.1], [1.0]) == pytest.approx(0.1)
    # (1 + e)^l - 1 for unit norms and equal layer errors (THEORY §3)
    assert network_bound([0.05] * 3, [1.0] * 3) == pytest.approx(1.05**3 - 1)
    assert network_bound([0.1, 0.2], [2.0, 3.0]) == pytest.approx(0.1 * (3 + 0.2) + 0.2 * 2)


def test_layer_eps_composes_to_eps():
    target = build("mlp")
    eps = 0.1
    for all_paths in (False, True):
        e_l = layer_eps(eps, target, all_paths)
        paths = layer_paths(len(target), all_paths)
        layer_bounds = [np.sqrt(p * L.n_in * L.n_out) * 1.0 * e for L, e, p in zip(target, e_l, paths)]
        assert layer_bounds == pytest.approx([eps / (2 * len(target))] * len(target))
        assert network_bound(layer_bounds, [1.0] * len(target)) <= eps


@pytest.mark.parametrize("name", ["mlp", "S_n 2->2->1", "C4 regular"])
def test_layers_after_the_first_solve_only_the_positive_path(name):
    """THEORY §3 "Layers i >= 2": their input is a ReLU output, so only s^+ is solved; no negative
    lambda is kept; the pruned network equals its collapse and the analytic bound holds."""
    target = build(name)
    rand = overparameterize(target, 24, seed=3)
    new, old = prune(rand, target, eps=0.05), prune(rand, target, eps=0.05, all_paths=True)
    assert new.paths == [2] + [1] * (len(target) - 1) and old.paths == [2] * len(target)
    for i in range(1, len(target)):
        assert new.samples[i].shape[0] == 1 and not np.any(new.masks[2 * i] & (rand[2 * i].coeffs < 0))
    assert new.problems == sum(p * L.coeffs.size for p, L in zip(new.paths, target))
    assert new.kept_params < old.kept_params
    assert np.array_equal(new.masks[0], old.masks[0]) and np.array_equal(new.masks[1], old.masks[1])
    rep = verify(new, target, eps=0.05, rng=np.random.default_rng(1), samples=64, ascent_steps=10, certify=False)
    assert rep["sup_error_ascent"] <= rep["error_bound"] * (1 + 1e-9) + 1e-15 and rep["collapse_check"] < 1e-10
    # the layer bound of a positive-path layer is the exact norm of |E^+| (checked against dense matrices)
    for L, e in zip(target[1:], new.errors[1:]):
        dense = L.basis.dense(np.abs(e[0]))
        assert layer_bound(L.basis, e) == pytest.approx(np.linalg.norm(dense, 2), rel=1e-9)
    # masks of the both-path construction are read back with both paths (format 2 files)
    back = from_masks(rand, target, old.masks)
    assert back.paths == old.paths and all(np.array_equal(a, b) for a, b in zip(back.errors, old.errors))


def test_level2_certificate_uses_the_prefix_the_solver_optimises(monkeypatch):
    """A row with more nonzero samples than the exact solver takes is optimised over its first
    EXACT_MAX_N: the certificate is the sup-error of that prefix, not of the whole row."""
    import subsetsum
    from subsetsum import sup_error

    monkeypatch.setattr(subsetsum, "EXACT_MAX_N", 6)
    target = build("mlp")
    rand = overparameterize(target, 30, seed=2)
    result = prune(rand, target)
    cert = certificate(result)
    assert cert["certificate_prefix_nonzero"] == 6 and cert["certificate_rows_prefix"] > 0
    rows = optimised_prefix(result.samples[0].reshape(-1, 30), 6)
    assert np.all(np.count_nonzero(rows, axis=1) <= 6)
    sup = sup_error(rows).reshape(result.samples[0].shape[:-1])
    assert cert["certified_layer_bounds"][0] == pytest.approx(layer_bound(target[0].basis, sup), rel=1e-12)


def test_same_seed_same_masks():
    target = build("C4 regular")
    a = prune(overparameterize(target, 10, seed=7), target, eps=0.05)
    b = prune(overparameterize(target, 10, seed=7), target, eps=0.05)
    assert all(np.array_equal(x, y) for x, y in zip(a.masks, b.masks))
    c = prune(overparameterize(target, 10, seed=8), target, eps=0.05)
    assert not all(np.array_equal(x, y) for x, y in zip(a.masks, c.masks))


def test_from_masks_rebuilds_the_same_result_and_rejects_foreign_masks():
    target = build("S_n 2->2->1")
    rand = overparameterize(target, 6, seed=1)
    result = prune(rand, target)
    again = from_masks(rand, target, result.masks)
    for s1, s2 in zip(result.sums, again.sums):
        assert np.array_equal(s1, s2)
    bad = [m.copy() for m in result.masks]
    bad[0][:] = True
    with pytest.raises(ValueError, match="not a diagonal orbital of its own block"):
        from_masks(rand, target, bad)


def test_hidden_basis_contains_the_diagonal():
    for name in FAMILIES:
        for layer in build(name):
            H = hidden_basis(layer.basis)
            assert H.shape == (layer.basis.shape[1], layer.basis.shape[1])


def test_bad_inputs():
    target = build("mlp")
    with pytest.raises(ValueError, match=r"m \(random samples per input field\) must be an integer >= 1, got 0"):
        overparameterize(target, 0)
    with pytest.raises(ValueError, match="one value per target layer"):
        overparameterize(target, [3])
    rand = overparameterize(target, 3)
    for bad in (0.0, 1.0, -0.5, 2):
        with pytest.raises(ValueError, match=r"eps must be in \(0, 1\)"):
            prune(rand, target, eps=bad)
    with pytest.raises(ValueError, match="2 l = 4 layers"):
        prune(rand[:2], target)
    with pytest.raises(ValueError, match=r"seed must be a numpy Generator or a seed \(an integer >= 0\), got -1"):
        overparameterize(target, 3, seed=-1)
    with pytest.raises(ValueError, match="finite"):
        Layer(target[0].basis, np.full_like(target[0].coeffs, np.nan))
    wrong = [Layer(target[0].basis, np.ones((3, 5, 1))), target[1]]
    with pytest.raises(ValueError, match="outputs 5 fields but layer 2 takes 4"):
        prune(rand, wrong)
