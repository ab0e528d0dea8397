"""Import and export of dense weights (PyTorch layouts): exact round trips, the projection against a
least-squares oracle, and exported networks evaluated by an independent NumPy implementation
(circular cross-correlation by explicit modular indexing, written here, not the engine)."""

import json

import numpy as np
import pytest
from numpy_reference import numpy_forward

from constructions import basis_from_specs, forward, overparameterize, prune, random_network
from constructions.construction import split_input
from constructions.export import export_arrays, form_specs, network_weights
from constructions.mpnn import GraphBasis
from constructions.weights import dense_weight, layout, orbital_projection
from slt.cli import main


def lat(group, field, grid=6, kernel=3):
    return dict(family="steerable", grid=grid, kernel=kernel, group=group, field=field)


def perm(order, subgroup="S", n=4):
    return dict(family="perm", n=n, order=order, subgroup=subgroup)


PAIRS = {
    "mlp": (dict(family="mlp"), dict(family="mlp")),
    "cnn k3": (dict(family="cnn", grid=6, kernel=3), dict(family="cnn", grid=6, kernel=3)),
    "cnn k4 (even)": (dict(family="cnn", grid=6, kernel=4), dict(family="cnn", grid=6, kernel=4)),
    "C4 trivial->regular": (lat("C4", "trivial"), lat("C4", "regular")),
    "C4 regular->regular k5": (lat("C4", "regular", 7, 5), lat("C4", "regular", 7, 5)),
    "D4 regular->regular": (lat("D4", "regular"), lat("D4", "regular")),
    "D4 regular->quotient:C2": (lat("D4", "regular"), lat("D4", "quotient:C2")),
    "D4 quotient:D1->trivial": (lat("D4", "quotient:D1"), lat("D4", "trivial")),
    "C4 regular->point (readout)": (lat("C4", "regular"), lat("C4", "point")),
    "D4 point->regular": (lat("D4", "point"), lat("D4", "regular")),
    "C4 point->point (head)": (lat("C4", "point"), lat("C4", "point")),
    "C6 regular->trivial (hex)": (lat("C6", "regular", 7, 5), lat("C6", "trivial", 7, 5)),
    "D6 regular->regular (hex)": (lat("D6", "regular", 5, 3), lat("D6", "regular", 5, 3)),
    "S4 1->1": (perm(1), perm(1)),
    "S4 2->2": (perm(2), perm(2)),
    "S4 2->0": (perm(2), perm(0)),
    "S4 1->2": (perm(1), perm(2)),
    "C4 subgroup 1->1": (perm(1, "C"), perm(1, "C")),
}


@pytest.mark.parametrize("name", PAIRS)
def test_round_trip_is_exact(name):
    b = basis_from_specs(*PAIRS[name])
    coeffs = np.random.default_rng(len(name)).uniform(-1, 1, (2, 3, b.dim))
    w = dense_weight(b, coeffs)
    assert w.shape == layout(b, 2, 3)["weight_shape"]
    back, resid = orbital_projection(b, w, 2, 3)
    assert np.array_equal(back, coeffs) and resid == 0.0


def test_round_trip_graph_layer():
    rng = np.random.default_rng(0)
    A = np.triu((rng.random((6, 6)) < 0.4).astype(float), 1)
    b = GraphBasis(A + A.T)
    coeffs = rng.uniform(-1, 1, (2, 3, 2))
    back, resid = orbital_projection(b, dense_weight(b, coeffs), 2, 3)
    assert np.array_equal(back, coeffs) and resid == 0.0


@pytest.mark.parametrize(
    "name",
    [
        "mlp",
        "cnn k4 (even)",
        "D4 regular->quotient:C2",
        "C4 regular->point (readout)",
        "C6 regular->trivial (hex)",
        "S4 2->2",
        "C4 subgroup 1->1",
    ],
)
def test_projection_is_least_squares(name):
    """Oracle: least squares over the dense basis matrices; the residual is what is left."""
    b = basis_from_specs(*PAIRS[name])
    rng = np.random.default_rng(1)
    lay = layout(b, 2, 2)
    w = rng.standard_normal(lay["weight_shape"])
    coeffs, resid = orbital_projection(b, w, 2, 2)
    if lay["kind"] == "conv":  # the conv weight is the dense matrix restricted to one pixel's rows: same projection
        elems = np.stack(
            [dense_weight(b, np.eye(4 * b.dim)[i].reshape(2, 2, b.dim)).ravel() for i in range(4 * b.dim)], axis=1
        )
    else:
        elems = np.stack([b.dense(np.eye(4 * b.dim)[i].reshape(2, 2, b.dim)).ravel() for i in range(4 * b.dim)], 1)
    sol = np.linalg.lstsq(elems, w.ravel(), rcond=None)[0].reshape(2, 2, b.dim)
    assert np.allclose(coeffs, sol, rtol=1e-10, atol=1e-12)
    expect = np.linalg.norm(w.ravel() - elems @ sol.ravel()) / np.linalg.norm(w)
    assert resid == pytest.approx(expect, rel=1e-9)


def test_pooled_readout_is_accepted():
    b = basis_from_specs(lat("D4", "regular"), lat("D4", "point"))
    coeffs = np.random.default_rng(2).uniform(-1, 1, (3, 2, b.dim))
    full = dense_weight(b, coeffs)  # (2, 3 * 8 * 36): Linear on the flattened (C, m, m) features
    pooled = full[:, ::36]  # weights after sum pooling over the 6 x 6 pixels: (2, 3 * 8)
    back, resid = orbital_projection(b, pooled, 3, 2, spec_in=lat("D4", "regular"))
    assert pooled.shape == (2, 24) and np.array_equal(back, coeffs) and resid == 0.0


def test_bad_weights_are_named():
    b = basis_from_specs(*PAIRS["D4 regular->regular"])
    with pytest.raises(ValueError, match=r"conv1: shape \(16, 8, 3, 3\), this layer needs \(16, 16, 3, 3\)"):
        orbital_projection(b, np.zeros((16, 8, 3, 3)), 2, 2, name="conv1")
    with pytest.raises(ValueError, match="NaN or inf"):
        orbital_projection(b, np.full((16, 16, 3, 3), np.nan), 2, 2)
    with pytest.raises(ValueError, match="real numbers"):
        orbital_projection(b, np.zeros((16, 16, 3, 3), complex), 2, 2)


NETWORKS = {
    "C4 trivial->regular->point->point": (
        [lat("C4", f) for f in ("trivial", "regular", "point", "point")],
        [1, 2, 3, 3],
    ),
    "cnn k4": ([dict(family="cnn", grid=6, kernel=4)] * 3, [1, 2, 1]),
    "C6 hex": ([lat("C6", f, 7, 5) for f in ("trivial", "regular", "trivial")], [1, 1, 1]),
    "D4 quotient": ([lat("D4", f, 5) for f in ("regular", "quotient:C2", "point")], [1, 1, 2]),
    "S4 2->1->0": ([perm(2), perm(1), perm(0)], [1, 2, 1]),
    "mlp": ([dict(family="mlp")] * 3, [3, 4, 2]),
}


def pruned_network(name, m=10):
    """A target (alive on random inputs: checked) and its optimal pruning."""
    specs, channels = NETWORKS[name]
    bases = [basis_from_specs(a, b) for a, b in zip(specs, specs[1:])]
    target = random_network(bases, channels, np.random.default_rng(0))
    result = prune(overparameterize(target, m, seed=1), target)
    x = np.random.default_rng(3).standard_normal((3, target[0].n_in, target[0].basis.shape[1]))
    assert np.abs(forward(result.pruned, x)).max() > 1e-3 and np.abs(forward(target, x)).max() > 1e-3
    return target, result


@pytest.mark.parametrize("name", NETWORKS)
def test_exported_weights_match_the_engine(name):
    target, result = pruned_network(name)
    forms = {"pruned": result.pruned, "collapsed": result.collapsed, "target": target, "masks": result.masks}
    arrays = export_arrays(forms, NETWORKS[name][0], {})
    x = np.random.default_rng(3).standard_normal((3, target[0].n_in, target[0].basis.shape[1]))
    flat = x.reshape(3, -1)
    grid = NETWORKS[name][0][0].get("grid")
    get = lambda prefix, n: [arrays[f"{prefix}_{j}"] for j in range(1, n + 1)]  # noqa: E731
    depth = len(target)
    checks = [
        (get("layer", 2 * depth), flat, forward(result.pruned, x)),
        (get("collapsed", depth), split_input(x).reshape(3, -1), result.forward(x)),
        (get("target", depth), flat, forward(target, x)),
    ]
    for weights, inp, engine in checks:
        ours = numpy_forward(weights, inp, grid)
        assert np.allclose(ours, engine.reshape(3, -1), rtol=1e-11, atol=1e-13 * np.abs(engine).max())
    for j in range(1, 2 * depth + 1):  # masks in the weight layout: exactly where the pruned weights live
        assert arrays[f"mask_{j}"].shape == arrays[f"layer_{j}"].shape
        assert not np.any(arrays[f"layer_{j}"][~arrays[f"mask_{j}"]])
    assert int(arrays["kept"].sum()) == result.kept_params and int(arrays["total"].sum()) == result.random_params
    meta = json.loads(str(arrays["meta"]))
    kinds = ["conv" if w.ndim == 4 else "linear" for w in get("layer", 2 * depth)]
    assert [lay["kind"] for lay in meta["layers"]] == kinds


@pytest.mark.parametrize("name", NETWORKS)
def test_onnx_outputs_match_the_engine(name):
    ort = pytest.importorskip("onnxruntime")
    from constructions.onnx_model import onnx_model

    target, result = pruned_network(name)
    x = np.random.default_rng(4).standard_normal((3, target[0].n_in, target[0].basis.shape[1]))
    for form, layers, engine in (
        ("pruned", result.pruned, forward(result.pruned, x)),
        ("collapsed", result.collapsed, result.forward(x)),
        ("target", target, forward(target, x)),
    ):
        weights = network_weights(layers, form_specs(NETWORKS[name][0], form))
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 3e-5)):
            sess = ort.InferenceSession(
                onnx_model(weights, dtype, split_input=form == "collapsed"), providers=["CPUExecutionProvider"]
            )
            shape = sess.get_inputs()[0].shape[1:]
            y = sess.run(None, {"x": x.reshape(3, *shape).astype(dtype)})[0]
            err = np.abs(y.reshape(engine.shape) - engine).max() / np.abs(engine).max()
            assert err < tol, (form, dtype, err)


def test_onnx_missing_is_one_line(tmp_path, monkeypatch, capsys):
    import sys

    target, result = pruned_network("mlp")
    from constructions.saved import save_target

    save_target(tmp_path / "t.npz", [L.coeffs for L in target], NETWORKS["mlp"][0])
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(SystemExit) as exc:
        main(["export", str(tmp_path / "t.npz"), "--out", str(tmp_path / "t.onnx"), "--format", "onnx"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "pip install 'slt-equivariant[onnx]'" in err
    assert not (tmp_path / "t.onnx").exists()


def test_export_size_is_checked_against_memory_first(monkeypatch):
    import constructions.export as export
    import groups.memory

    target, result = pruned_network("D4 quotient")
    monkeypatch.setattr(groups.memory, "available_memory", lambda: 10_000)
    monkeypatch.setattr(export, "dense_weight", lambda *a: pytest.fail("allocated before the memory check"))
    with pytest.raises(
        ValueError,
        match=r"the dense weights would take about [0-9.e-]+ GB, more than 80% of the "
        r"1e-05 GB of memory available; export the collapsed form",
    ):
        export.network_weights(result.pruned)
