"""Bad inputs to the public API of `constructions` found by fuzzing: each gets one clear
ValueError naming the argument, the value and the accepted range (never a silent wrong
number, a truncation, a sign flip or a raw AttributeError/IndexError/MemoryError).
About 3 s."""

import io
import json
import zipfile
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
    check_writable,
    form_specs,
    forms_of,
    forward,
    hidden_basis,
    inverse,
    layer_eps,
    load_pruned,
    load_target,
    network_bound,
    network_weights,
    normalize_layer,
    onnx_model,
    orbital_projection,
    overparameterize,
    prune,
    random_elements,
    random_network,
    read_npz,
    rescale_network,
    save_npz,
    save_target,
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


# ------------------------------------------------------------------------------------ files
def _pruned(net, path, **changes):
    """A pruned-network file of ``net``, its meta (or arrays) changed."""
    from constructions import pruned_file, save_pruned

    record = pruned_file(
        [MLP, MLP], [2, 2], net["tgt"], net["rnd"], net["res"], eps=0.5, seed=1, method="exact", optimal=False,
        target_from_seed=True, target_source="random", report={"eps": 0.5},
    )  # fmt: skip
    save_pruned(path, record)
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))
    for key, value in changes.items():
        if key in arrays:
            arrays[key] = value
        else:
            meta[key] = value
    arrays["meta"] = np.array(json.dumps(meta))
    save_npz(path, arrays)
    return path


def _bomb(path):
    """A 200-byte .npz whose npy header declares shape (1e5, 1e5, 1): 80 GB of float64."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000, 1)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("layer_1.npy", buf.getvalue() + b"\0" * 64)
    return path


FILE_CASES = [
    ("bomb npz", lambda n, d: load_target(_bomb(d / "bomb.npz")), ["bomb.npz", "'layer_1'", "(100000, 100000, 1)"]),
    ("bomb npz read_npz", lambda n, d: read_npz(_bomb(d / "b.npz")), ["80,000,000,000 bytes", "corrupt"]),
    ("procfs file", lambda n, d: load_pruned("/proc/self/status"), ["/proc/self/status", "not a regular file"]),
    ("meta samples 0", lambda n, d: load_pruned(_pruned(n, d / "p.npz", samples=0)), ["p.npz", "'samples'", ">= 1"]),
    ("meta certify maybe", lambda n, d: load_pruned(_pruned(n, d / "p.npz", certify="maybe")), ["p.npz", "'maybe'"]),
    (
        "meta method foo",
        lambda n, d: load_pruned(_pruned(n, d / "p.npz", method="foo")),
        ["p.npz", "'method'", "'foo'"],
    ),
    (
        "int64 mask",
        lambda n, d: load_pruned(_pruned(n, d / "p.npz", mask_1=np.ones((2, 6, 1), dtype=np.int64))),
        ["p.npz", "mask_1", "bool", "int64"],
    ),
    ("save_target a directory", lambda n, d: save_target(d, _coeffs()), ["is a directory"]),
    ("save_target /proc", lambda n, d: save_target("/proc/x.npz", _coeffs()), ["/proc/x.npz", "cannot write"]),
    ("save_target ''", lambda n, d: save_target("", _coeffs()), ["''", "not a file name"]),
    ("save_target specs count", lambda n, d: save_target(d / "t.npz", _coeffs(), [MLP]), ["specs", "2 field specs"]),
    (
        "save_target family foo",
        lambda n, d: save_target(d / "t.npz", _coeffs(), [{"family": "foo"}] * 2),
        ["specs", "'foo'"],
    ),
    (
        "save_target |B| = 5 with mlp specs",
        lambda n, d: save_target(d / "t.npz", [np.ones((1, 1, 5))], [MLP, MLP]),
        ["layer_1", "5 basis coefficients", "|B_1| = 1"],
    ),
    ("save_npz level 99", lambda n, d: save_npz(d / "a.npz", {"a": np.ones(2)}, level=99), ["level", "0..9", "99"]),
    ("check_writable NUL", lambda n, d: check_writable(f"{d}/a\0b"), ["NUL byte"]),
    ("check_writable ends in /", lambda n, d: check_writable(f"{d}/newdir/"), ["newdir/", "names a directory"]),
    ("check_writable 300 chars", lambda n, d: check_writable(d / ("x" * 300)), ["300 bytes long", "at most"]),
]


def _coeffs():
    return [np.ones((1, 1, 1))]


@pytest.mark.parametrize("name, call, fragments", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_file_is_refused_with_a_clear_message(net, tmp_path, name, call, fragments):
    with pytest.raises(ValueError) as info:
        call(net, tmp_path)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert not list(tmp_path.glob("t.npz")) and not list(tmp_path.glob(".*"))  # nothing written


def test_valid_pruned_file_round_trips(net, tmp_path):
    record = load_pruned(_pruned(net, tmp_path / "p.npz", samples=64, certify="no"))
    assert record.samples == 64 and record.certify == "no"
    assert all(np.array_equal(a, b) for a, b in zip(record.masks, net["res"].masks))
