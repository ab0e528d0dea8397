"""The end-to-end experiments (slt experiment): data, invariance on real transformations of the
data, trained-then-pruned tiny networks of each kind, the driver's outputs, and clear errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from constructions import Layer, basis_from_specs, forward, overparameterize, prune
from constructions.mpnn import GraphBasis, bind_graphs, permute_graphs
from constructions.train import data_init, init_network, logits_of, minibatches, rescale_network, train
from slt.experiments import data as D


# ---------------------------------------------------------------------- data
def test_triangles_are_exact():
    rng = np.random.default_rng(0)
    for _ in range(5):
        A = D.erdos_renyi(7, rng)
        brute = sum(A[i, j] * A[j, k] * A[i, k] for i in range(7) for j in range(i + 1, 7) for k in range(j + 1, 7))
        assert D.triangles(A) == brute
    assert D.triangles(np.ones((4, 4)) - np.eye(4)) == 4
    assert [D.triangle_class(t) for t in (0, 3, 4, 10, 11, 50)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("maker", [D.erdos_renyi, D.watts_strogatz, D.barabasi_albert, D.geometric])
def test_graph_generators_give_simple_undirected_graphs(maker):
    rng = np.random.default_rng(1)
    for n in (8, 12):
        A = maker(n, rng)
        assert A.shape == (n, n) and np.array_equal(A, A.T)
        assert set(np.unique(A)) <= {0, 1} and not np.any(np.diag(A))


def test_graph_data_is_seeded_and_stratified():
    a, b, c = D.graph_data(60, 3), D.graph_data(60, 3), D.graph_data(60, 4)
    assert all(np.array_equal(x, y) for x, y in zip(a["adjacency"], b["adjacency"]))
    assert np.array_equal(a["train"], b["train"]) and np.array_equal(a["y"], b["y"])
    assert not all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a["adjacency"], c["adjacency"]))
    assert set(a["n"]) <= set(range(8, 13))
    assert np.intersect1d(a["train"], a["test"]).size == 0 and a["train"].size + a["test"].size == 60
    assert np.array_equal(a["y"], [D.triangle_class(D.triangles(A)) for A in a["adjacency"]])


def test_inputs_have_unit_norm_and_padding_is_zero():
    g = D.graph_data(12, 0)
    for x in D.ign_inputs(g["adjacency"]):
        assert np.linalg.norm(x) == pytest.approx(1.0)
    A, x = D.mpnn_inputs(g["adjacency"], 12)
    assert np.allclose(np.linalg.norm(x.reshape(12, -1), axis=1), 1.0)
    for t, G in enumerate(g["adjacency"]):
        n = G.shape[0]
        assert np.all(x[t, 0, n:] == 0) and np.all(A[t, n:] == 0)


def test_rot90_is_an_element_of_the_lattice_group():
    """np.rot90 / flips of an 8x8 image are exact symmetries of the Z_8^2 x| C4 / D4 networks."""
    rng = np.random.default_rng(2)
    for group, flip in (("C4", False), ("D4", True)):
        fields = ["trivial", "regular", "point", "point"]
        spec = lambda f, group=group: {"family": "steerable", "grid": 8, "kernel": 3, "group": group, "field": f}
        bases = [basis_from_specs(spec(a), spec(b)) for a, b in zip(fields, fields[1:])]
        layers = init_network(bases, [1, 3, 4, 5], rng)
        images = rng.random((4, 8, 8))
        x = D.as_field(images)
        for k in range(4):
            turned = D.as_field(D.orient(images, np.full(4, k), np.full(4, flip)))
            np.testing.assert_allclose(forward(layers, turned), forward(layers, x), rtol=1e-10, atol=1e-14)


def test_orient_matches_numpy():
    rng = np.random.default_rng(3)
    im = rng.random((3, 8, 8))
    out = D.orient(im, np.array([0, 1, 3]), np.array([False, True, False]))
    assert np.array_equal(out[0], im[0])
    assert np.array_equal(out[1], np.rot90(im[1][:, ::-1]))
    assert np.array_equal(out[2], np.rot90(im[2], 3))
    with pytest.raises(ValueError, match="turns/flips"):
        D.orient(im, np.array([0, 1]), np.array([0, 0, 0]))


def test_digits_data_split_and_orientations():
    pytest.importorskip("sklearn")
    d = D.digits_data(0, limit=300)
    assert d["x_train"].shape[1:] == (1, 64) and d["x_test_rot"].shape == d["x_test_upright"].shape
    assert np.allclose(np.linalg.norm(d["x_train"].reshape(len(d["x_train"]), -1), axis=1), 1.0)
    turned = D.as_field(D.orient(d["images_test"], d["turns"], np.zeros(len(d["turns"]), bool)))
    assert np.array_equal(turned, d["x_test_rot"])
    assert set(np.unique(d["turns"])) == {0, 1, 2, 3}
    again = D.digits_data(0, limit=300)
    assert np.array_equal(again["x_test_rotflip"], d["x_test_rotflip"])


# ---------------------------------------------------------------------- train, prune, compare
def _train_prune_agree(layers, batches, x_eval, evaluate, m=64, epochs=15, bind=None, norm=None):
    res = train(layers, batches, epochs=epochs, lr=0.02, seed=0, bind=bind)
    target, _, _ = rescale_network(res.layers) if norm is None else rescale_network(res.layers, norm=norm)
    pruned = prune(overparameterize(target, m, seed=1), target, eps=1e-4)
    f, g = evaluate(target, x_eval, False), evaluate(pruned.collapsed, x_eval, True)
    agree = np.mean(np.argmax(f, 1) == np.argmax(g, 1))
    return agree, target, pruned, f, g


def _collapsed(layers, x, split):
    from constructions.construction import split_input

    return logits_of(forward(layers, split_input(x) if split else x))


def test_tiny_steerable_cnn_trained_then_pruned_matches_predictions_and_is_rotation_invariant():
    rng = np.random.default_rng(4)
    spec = lambda f: {"family": "steerable", "grid": 6, "kernel": 3, "group": "C4", "field": f}
    fields = ["trivial", "regular", "point", "point"]
    bases = [basis_from_specs(spec(a), spec(b)) for a, b in zip(fields, fields[1:])]
    images = rng.random((60, 6, 6))
    y = (images[:, 2:4, 2:4].sum((1, 2)) > np.median(images[:, 2:4, 2:4].sum((1, 2)))).astype(int)
    x = D.as_field(images)
    layers = data_init(init_network(bases, [1, 3, 4, 2], rng), x * 6)
    agree, target, pruned, f, g = _train_prune_agree(layers, minibatches(x * 6, y, 16), x, _collapsed)
    assert agree >= 0.9
    # invariance on actually rotated / reflected inputs: the target AND the pruned network
    for k in (1, 2, 3):
        xr = D.as_field(D.orient(images, np.full(60, k), np.zeros(60, bool)))
        np.testing.assert_allclose(_collapsed(pruned.collapsed, xr, True), g, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(_collapsed(target, xr, False), f, rtol=1e-9, atol=1e-15)
    # the collapse is the honest 2l-layer pruned network
    np.testing.assert_allclose(logits_of(forward(pruned.pruned, x[:3])), g[:3], rtol=1e-8, atol=1e-15)


def test_tiny_ign_trained_then_pruned_matches_predictions_and_is_permutation_invariant():
    from slt.experiments.ign import rebase

    g = D.graph_data(40, 5, n_range=(6, 6))
    xs = np.stack(D.ign_inputs(g["adjacency"]))
    y = g["y"]
    perm = lambda k: {"family": "perm", "n": 6, "order": k}
    bases = [basis_from_specs(perm(2), perm(2)), basis_from_specs(perm(2), perm(0)), basis_from_specs(perm(0), perm(0))]
    rng = np.random.default_rng(6)
    layers = data_init(init_network(bases, [2, 3, 4, 3], rng), xs * 6)
    agree, target, pruned, f, gl = _train_prune_agree(layers, minibatches(xs * 6, y, 10), xs, _collapsed, epochs=10)
    assert agree >= 0.9
    p = rng.permutation(6)
    xp = np.stack(D.ign_inputs([A[np.ix_(p, p)] for A in g["adjacency"]]))
    np.testing.assert_allclose(_collapsed(pruned.collapsed, xp, True), gl, rtol=1e-9, atol=1e-15)
    # one set of coefficients runs on every graph size (n >= 4)
    assert [L.basis.n for L in rebase(target, 9)] == [9, 9, 9]
    with pytest.raises(ValueError, match="too small"):
        rebase(target, 3)


def test_tiny_mpnn_trained_then_pruned_matches_predictions_and_is_permutation_invariant():
    from constructions import partition_basis
    from constructions.construction import split_input

    g = D.graph_data(40, 7)
    A, x = D.mpnn_inputs(g["adjacency"], 12)
    y = g["y"]
    bases = [GraphBasis(A), partition_basis(12, 1, 0), partition_basis(12, 0, 0)]
    rng = np.random.default_rng(8)
    layers = data_init(init_network(bases, [1, 4, 4, 3], rng), x * 3.5)
    ev = lambda net, xx, split: logits_of(forward(bind_graphs(net, A), split_input(xx) if split else xx))
    agree, target, pruned, f, gl = _train_prune_agree(
        layers, minibatches(x * 3.5, y, 10), x, ev, epochs=20, bind=lambda net, idx: bind_graphs(net, A[idx])
    )
    assert agree >= 0.9
    perms = np.argsort(rng.random((40, 12)), axis=1)
    xp, Ap = permute_graphs(x, A, perms)
    out = logits_of(forward(bind_graphs(pruned.collapsed, Ap), split_input(xp)))
    np.testing.assert_allclose(out, gl, rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------------- the driver
TINY_GRAPHS = {"graphs": 40, "n_range": (6, 7), "epochs": 5, "m_sweep": [4, 40], "m_cap": 40}


def test_mpnn_experiment_writes_tables_figure_json_and_is_reproducible(tmp_path):
    from slt.experiments import run_experiment

    cfg = dict(TINY_GRAPHS, hidden=[4], head=[4])
    a = run_experiment("mpnn", seed=1, out=tmp_path / "a", config=cfg)
    b = run_experiment("mpnn", seed=1, out=tmp_path / "b", config=cfg)
    for key in ("accuracy", "output_error_max", "kept_params", "random_params"):
        assert [r[key] for r in a["studies"][0]["rows"]] == [r[key] for r in b["studies"][0]["rows"]]
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert {f"mpnn_{t}.{x}" for t in ("summary", "sweep") for x in ("csv", "tex", "json")} | {"mpnn.json"} | {
        f"mpnn_accuracy_vs_m_{w}.{x}" for w in ("1col", "2col") for x in ("pdf", "png")
    } == names
    assert set(a["files"]) == {str(tmp_path / "a" / n) for n in names}
    tex = (tmp_path / "a" / "mpnn_summary.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "meas." in tex
    # the same table type as the studies: every column labelled, the CSV holds the raw numbers
    summary = json.loads((tmp_path / "a" / "mpnn_summary.json").read_text())
    labels = {c["name"]: c["label"] for c in summary["columns"]}
    assert labels["target_accuracy"] == "measured" and labels["error_bound"] == "proven"
    assert labels["bound_m"] == "calibrated" and labels["random_params"] == "input"
    header, row = (tmp_path / "a" / "mpnn_summary.csv").read_text().splitlines()[:2]
    assert header.split(",")[:3] == ["experiment", "model", "target_accuracy"]
    assert float(row.split(",")[2]) == a["summary"][0]["target_accuracy"]
    assert not list((tmp_path / "a").glob(".*.tmp"))  # atomic writes leave no temporary file
    saved = json.loads((tmp_path / "a" / "mpnn.json").read_text())
    assert saved["studies"][0]["model"] == "MPNN"
    rows = a["studies"][0]["rows"]
    assert all(r["equivariance_error"] < 1e-10 and r["invariance_error_data"] < 1e-10 for r in rows)
    assert all(r["collapse_check"] < 1e-8 for r in rows)
    assert rows[0]["random_params"] < rows[1]["random_params"]


def test_ign_experiment_runs_end_to_end(tmp_path):
    from slt.experiments import run_experiment

    res = run_experiment("ign", seed=0, out=tmp_path, config=dict(TINY_GRAPHS, hidden=[4], head=[4]))
    study = res["studies"][0]
    assert 0 <= study["target_accuracy"] <= 1 and study["eps"] > 0
    assert all(r["equivariance_error"] < 1e-10 and r["invariance_error_data"] < 1e-9 for r in study["rows"])
    assert res["summary"][0]["experiment"] == "ign"


def test_digits_experiment_runs_end_to_end(tmp_path):
    pytest.importorskip("sklearn")
    from slt.experiments import run_experiment

    res = run_experiment(
        "digits",
        seed=0,
        out=tmp_path,
        config={
            "conv": [2],
            "conv_d4": [2],
            "head": [],
            "epochs": 1,
            "limit": 200,
            "cnn": [2],
            "mlp": [8],
            "m_sweep": [4],
            "m_cap": 8,
        },
    )
    assert [s["model"] for s in res["studies"]] == ["C4 steerable CNN", "D4 steerable CNN"]
    assert all(r["invariance_error_data"] < 1e-9 for s in res["studies"] for r in s["rows"])


# ---------------------------------------------------------------------- errors
def test_unknown_experiment_is_a_clear_error(capsys):
    from slt.cli import main
    from slt.experiments import run_experiment

    with pytest.raises(ValueError, match="unknown experiment 'cifar'.*digits, ign, mpnn"):
        run_experiment("cifar")
    with pytest.raises(SystemExit) as exc:
        main(["experiment", "cifar"])
    assert exc.value.code == 2
    assert "unknown experiment 'cifar'" in capsys.readouterr().err


def test_unknown_configuration_key_is_a_clear_error():
    from slt.experiments import run_experiment

    with pytest.raises(ValueError, match="unknown configuration keys"):
        run_experiment("mpnn", config={"epoch": 3})


def test_missing_scikit_learn_names_the_install_command(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ValueError, match=r'pip install -e "\.\[experiments\]"'):
        D.load_digits()
    from slt.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["experiment", "digits", "--quick", "--out", str(tmp_path / "never-written")])
    assert exc.value.code == 2
    assert "scikit-learn" in capsys.readouterr().err


def test_shape_mismatches_are_clear_errors():
    rng = np.random.default_rng(9)
    spec = lambda f: {"family": "steerable", "grid": 8, "kernel": 3, "group": "C4", "field": f}
    b = basis_from_specs(spec("trivial"), spec("regular"))
    layer = Layer(b, rng.standard_normal((1, 2, b.dim)))
    with pytest.raises(ValueError, match=r"features must have shape \(batch, 1, 64\)"):
        forward([layer], rng.standard_normal((3, 1, 49)))
    with pytest.raises(ValueError, match="more than n_max"):
        D.mpnn_inputs([np.zeros((13, 13), int)], 12)
    with pytest.raises(ValueError, match="bound to 2 graphs"):
        GraphBasis(np.zeros((2, 5, 5))).apply(np.ones((1, 1, 2)), np.ones((3, 1, 5)))
    with pytest.raises(ValueError, match="at least 8 graphs"):
        D.graph_data(3, 0)


def test_relative_error_uses_the_reference_scale_for_dead_outputs():
    """Rounding noise of a dead (all-zero in exact arithmetic) network is not an
    invariance failure when measured against the target's logit scale; a real change is."""
    from slt.experiments.common import relative_error

    noise_a, noise_b = np.array([[5e-18, -1e-18]]), np.array([[6e-18, 2e-18]])
    assert relative_error(noise_a, noise_b) > 0.1  # relative to the noise itself
    assert relative_error(noise_a, noise_b, scale=0.2) < 1e-16  # relative to the target's logits
    assert relative_error(np.array([[1.0, 0.5]]), np.array([[1.0, 0.4]]), scale=0.2) == pytest.approx(0.1)
    assert relative_error(np.zeros((1, 2)), np.zeros((1, 2))) == 0.0
