"""Bad inputs to the public API of `constructions` found by fuzzing: each gets one clear
ValueError naming the argument, the value and the accepted range (never a silent wrong
number, a truncation, a sign flip or a raw AttributeError/IndexError/MemoryError).
About 3 s."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from constructions import (
    Action,
    Layer,
    act,
    assert_equivariant,
    basis_from_specs,
    certificate,
    form_specs,
    forms_of,
    forward,
    hidden_basis,
    inverse,
    layer_eps,
    network_bound,
    network_weights,
    normalize_layer,
    onnx_model,
    orbital_projection,
    overparameterize,
    prune,
    random_elements,
    random_network,
    rescale_network,
    set_partitions,
    tensor_action,
    train_network,
    verify,
)

MLP = {"family": "mlp"}


def steerable(field):
    return dict(family="steerable", grid=5, kernel=3, group="C4", field=field)


@pytest.fixture(scope="module")
def net():
    B = basis_from_specs(MLP, MLP)
    tgt = random_network([B], [2, 2], np.random.default_rng(0))
    rnd = overparameterize(tgt, 3, seed=1)
    res = prune(rnd, tgt, eps=0.5)
    return {"B": B, "tgt": tgt, "rnd": rnd, "res": res}


def _batches(rng):
    return [(None, np.ones((2, 2, 1)), np.array([0, 1]))]


CASES = [
    # (name, call(net), message fragments)
    ("normalize_layer target -1", lambda n: normalize_layer(n["tgt"][0], -1), ["target", "> 0", "-1"]),
    ("normalize_layer target 0", lambda n: normalize_layer(n["tgt"][0], 0), ["target", "> 0", "0"]),
    ("rescale_network target -1", lambda n: rescale_network(n["tgt"], target=-1), ["target", "> 0", "-1"]),
    ("rescale_network target 0", lambda n: rescale_network(n["tgt"], target=0), ["target", "> 0"]),
    ("layer_eps paths too long", lambda n: layer_eps(0.1, n["tgt"], paths=[1, 2, 3]), ["paths", "(1)", "[1, 2, 3]"]),
    ("layer_eps eps 0", lambda n: layer_eps(0, n["tgt"]), ["eps", "(0, 1)", "0"]),
    ("layer_eps eps nan", lambda n: layer_eps(float("nan"), n["tgt"]), ["eps", "(0, 1)", "nan"]),
    ("layer_eps all_paths 'yes'", lambda n: layer_eps(0.1, n["tgt"], all_paths="yes"), ["all_paths", "'yes'"]),
    ("network_bound lengths", lambda n: network_bound([0.1, 0.2], [1.0]), ["one value per layer", "2 and 1"]),
    ("network_bound nan", lambda n: network_bound([float("nan")], [1.0]), ["layer_bounds", "finite"]),
    ("network_bound negative", lambda n: network_bound([-0.1], [1.0]), ["layer_bounds", ">= 0", "-0.1"]),
    ("verify eps 5e-324", lambda n: verify(n["res"], n["tgt"], eps=5e-324, samples=4), ["eps", "underflows", "1)"]),
    ("certificate budget -1", lambda n: certificate(n["res"], budget=-1), ["budget", "> 0", "-1"]),
    ("certificate budget nan", lambda n: certificate(n["res"], budget=float("nan")), ["budget", "nan"]),
    ("act drops a column", lambda n: act(np.array([0, 1]), np.ones((1, 3))), ["last axis", "(2,)", "(1, 3)"]),
    ("inverse not a permutation", lambda n: inverse(np.array([0, 0, 5])), ["perm", "permutation of 0..2"]),
    ("Action float generator", lambda n: Action("g", [[0.5, 1.0]]), ["perms", "'g'", "float64"]),
    ("prune all_paths 'yes'", lambda n: prune(n["rnd"], n["tgt"], all_paths="yes"), ["all_paths", "'yes'"]),
    ("random_network normalize 'no'", lambda n: random_network([n["B"]], [1, 1], 0, normalize="no"), ["normalize"]),
    ("forward activations 'yes'", lambda n: forward(n["tgt"], np.ones((1, 2, 1)), activations="yes"), ["activations"]),
    (
        "overparameterize extra hidden basis",
        lambda n: overparameterize(n["tgt"], 2, hidden_bases=[n["B"], n["B"]]),
        ["hidden_bases", "one basis per target layer (1)"],
    ),
    ("overparameterize hidden 'x'", lambda n: overparameterize(n["tgt"], 2, hidden_bases=["x"]), ["hidden_bases[0]"]),
    ("hidden_basis 'x'", lambda n: hidden_basis("x"), ["basis", "'x'"]),
    ("random_elements rng None", lambda n: random_elements(n["B"].action_in, 3, None), ["rng", "None"]),
    ("random_elements count -1", lambda n: random_elements(n["B"].action_in, -1, 0), ["count", ">= 0", "-1"]),
    (
        "orbital_projection spec_in 'x'",
        lambda n: orbital_projection(n["B"], np.ones((2, 2)), 2, 2, spec_in="x"),
        ["spec_in", "'x'"],
    ),
    ("network_weights [1]", lambda n: network_weights([1]), ["layers", "Layers", "[1]"]),
    ("forms_of 'x'", lambda n: forms_of("x"), ["record", "PrunedFile", "'x'"]),
    ("onnx_model []", lambda n: onnx_model([]), ["weights", "non-empty", "[]"]),
    ("form_specs 'foo'", lambda n: form_specs([MLP, MLP], "foo"), ["form", "pruned", "'foo'"]),
    (
        "train weight_decay -1",
        lambda n: train_network(n["tgt"], _batches, epochs=1, weight_decay=-1),
        ["weight_decay", ">= 0", "-1"],
    ),
    ("assert_equivariant tol -1", lambda n: assert_equivariant(n["tgt"], tol=-1), ["tol", "> 0", "-1"]),
    ("assert_equivariant tol nan", lambda n: assert_equivariant(n["tgt"], tol=float("nan")), ["tol", "nan"]),
    ("prune executor 'local'", lambda n: prune(n["rnd"], n["tgt"], executor="local"), ["executor", "Executor"]),
    ("set_partitions(-1, 2)", lambda n: set_partitions(-1, 2), ["size", "0..64", "-1"]),
    ("set_partitions(20, 20)", lambda n: set_partitions(20, 20), ["51,724,158,235,372", "1,000,000"]),
    ("tensor_action(1000, 4)", lambda n: tensor_action(1000, 4), ["1,000,000,000,000 points", "GB", "smaller n"]),
    ("perm basis n 3 orders 6 6", lambda n: basis_from_specs(*_perm(3, 6, 6)), ["S_3", "GB", "memory available"]),
    ("perm basis n 12 orders 5 5", lambda n: basis_from_specs(*_perm(12, 5, 5)), ["S_12", "GB", "memory available"]),
]


def _perm(n, k, l):
    return {"family": "perm", "n": n, "order": k}, {"family": "perm", "n": n, "order": l}


@pytest.mark.parametrize("name, call, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(net, name, call, fragments):
    with pytest.raises(ValueError) as info:
        call(net)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_budget_inf_means_no_budget(net):
    """slt prune --certify yes passes certificate_budget = inf (refused before the fix)."""
    cert = certificate(net["res"], budget=float("inf"))
    assert cert["certified_bound"] is not None
    rep = verify(net["res"], net["tgt"], eps=0.5, samples=4, certificate_budget=float("inf"))
    assert rep["certified_bound"] == cert["certified_bound"]


def test_eps_layer_wins_over_eps(net):
    """Documented: with eps and eps_layer, the layers are solved to eps_layer."""
    res = prune(net["rnd"], net["tgt"], eps=0.5, eps_layer=[0.01])
    assert res.eps_layer == [0.01]


def test_executor_is_accepted(net):
    with ThreadPoolExecutor(1) as pool:
        res = prune(net["rnd"], net["tgt"], eps=0.5, executor=pool)
    assert all(np.array_equal(a, b) for a, b in zip(res.masks, net["res"].masks))


@pytest.mark.parametrize("scale", [1.0, 2.0**-600, 1e-170, 1e-200, 1e-300, 1e200, 1e300])
def test_import_residual_is_scale_free(scale):
    """A non-equivariant C4 weight has the same relative residual at any scale (the squared
    norm underflowed to 0 at 1e-170 and below: 'relative residual 0', and was nan at 1e200)."""
    B = basis_from_specs(steerable("regular"), steerable("regular"))
    w = np.random.default_rng(0).standard_normal((8, 8, 3, 3))
    _, ref = orbital_projection(B, w, 2, 2)
    with np.errstate(all="raise"):
        coeffs, resid = orbital_projection(B, w * scale, 2, 2)
    assert ref > 0.5 and resid == pytest.approx(ref, rel=1e-12)
    if scale == 2.0**-600:  # a power of two: the coefficients scale exactly
        assert np.array_equal(coeffs, orbital_projection(B, w, 2, 2)[0] * scale)


@pytest.mark.parametrize("value, fragment", [(7e299, "7.000e+299"), (1e-320, "1.000e-320"), (np.inf, "inf")])
def test_onnx_float32_refuses_weights_outside_its_range(net, value, fragment):
    pytest.importorskip("onnx")
    weights = network_weights(net["tgt"])
    weights[0]["weight"] = weights[0]["weight"].copy()
    weights[0]["weight"][0, 0] = value
    with pytest.raises(ValueError, match="layer 1") as info:
        onnx_model(weights, dtype=np.float32)
    assert "float32 range" in str(info.value) and fragment in str(info.value)
    if np.isfinite(value):
        assert onnx_model(weights, dtype=np.float64)  # float64 holds them


def test_layers_are_unchanged_by_the_checks(net):
    """Valid inputs give the same numbers (layer_eps against its formula)."""
    L = net["tgt"][0]
    (e,) = layer_eps(0.1, net["tgt"])
    from constructions import basis_norm

    assert e == 0.1 / (2 * 1 * np.sqrt(2 * L.n_in * L.n_out) * basis_norm(L.basis))
    assert isinstance(Layer(L.basis, L.coeffs), Layer)
