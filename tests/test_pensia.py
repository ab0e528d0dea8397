"""slt experiment pensia: IDX files (written here by an independent writer) read back exactly,
every corrupt or missing file a one-line error naming it, the 28x28 upsampling against
scipy's bilinear interpolation, the per-weight accuracy count against brute force, prune's
per-layer accuracy, and the experiment end to end (tiny configuration, default data and
MNIST-format files), its parameter counts against the closed form."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest

from slt.experiments import mnist


def write_idx(path, array: np.ndarray, gz: bool = False) -> None:
    """IDX as LeCun describes it: 00 00 08 ndim, big-endian uint32 sizes, the bytes."""
    raw = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def mnist_dir(tmp_path, n_train=60, n_test=30, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    d = tmp_path / "mnist"
    d.mkdir(exist_ok=True)
    labels = {"train": np.arange(n_train) % 10, "test": np.arange(n_test) % 10}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        y = labels[part]
        images = rng.integers(0, 40, (y.size, 28, 28))
        images[np.arange(y.size), 4 + 2 * y, 4:24] = 255  # a learnable bar per class
        sfx = ".gz" if gz else ""
        write_idx(d / f"{prefix}-images-idx3-ubyte{sfx}", images, gz)
        write_idx(d / f"{prefix}-labels-idx1-ubyte{sfx}", y, gz)
    return d


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_read_back_exactly(tmp_path, gz):
    a = np.random.default_rng(1).integers(0, 256, (7, 28, 28)).astype(np.uint8)
    p = tmp_path / ("a.gz" if gz else "a")
    write_idx(p, a, gz)
    assert np.array_equal(mnist.read_idx(p), a)
    d = mnist_dir(tmp_path, gz=gz)
    data = mnist.mnist_data(d)
    assert data["x_train"].shape == (60, 784, 1) and data["x_test"].shape == (30, 784, 1)
    assert np.allclose(np.linalg.norm(data["x_train"][:, :, 0], axis=1), 1.0)
    assert np.array_equal(data["y_test"], np.arange(30) % 10)


def test_corrupt_or_missing_idx_files_are_one_line_errors(tmp_path):
    d = mnist_dir(tmp_path)
    img = d / "train-images-idx3-ubyte"
    good = img.read_bytes()
    cases = [
        (lambda: img.unlink(), "train-images-idx3-ubyte: no such file"),
        (lambda: img.write_bytes(b"\x01\x02" + good[2:]), "not an IDX file"),
        (lambda: img.write_bytes(good[:2] + b"\x0d" + good[3:]), "data type 0x0d"),
        (lambda: img.write_bytes(good[:-5]), "truncated or corrupt"),
        (lambda: img.write_bytes(good[:9]), "truncated IDX header"),
        (lambda: write_idx(img, np.zeros((60, 20, 20))), r"expected \(28, 28\)"),
        (lambda: write_idx(d / "train-labels-idx1-ubyte", np.full(60, 11)), "label 11 outside 0..9"),
        (lambda: write_idx(d / "train-labels-idx1-ubyte", np.zeros(59)), "59,.*labels for 60 images"),
    ]
    for damage, message in cases:
        mnist_dir(tmp_path)
        damage()
        with pytest.raises(ValueError, match=message) as exc:
            mnist.mnist_data(d)
        assert "\n" not in str(exc.value)
    (d / "bad.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="bad.gz: cannot be read"):
        mnist.read_idx(d / "bad.gz")
    with pytest.raises(ValueError, match="not a directory"):
        mnist.mnist_data(tmp_path / "nowhere")


def test_cli_data_errors_exit_2_with_one_line(tmp_path, capsys):
    from slt.cli import main

    for argv, message in (
        (["experiment", "pensia", "--data", str(tmp_path / "nowhere")], "not a directory"),
        (["experiment", "digits", "--data", str(tmp_path)], "only for the pensia experiment"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv + ["--out", str(tmp_path / "out")])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_upsampling_is_bilinear_interpolation():
    """Against scipy.ndimage.map_coordinates (order 1) at the pixel centres, edges clamped."""
    from scipy.ndimage import map_coordinates

    img = np.random.default_rng(2).random((3, 8, 8))
    out = mnist.upsample(img)
    assert out.shape == (3, 28, 28)
    assert np.all(out[:, :4] == 0) and np.all(out[:, 24:] == 0) and np.all(out[:, :, :4] == 0)
    pos = np.clip((np.arange(20) + 0.5) * 8 / 20 - 0.5, 0, 7)
    yy, xx = np.meshgrid(pos, pos, indexing="ij")
    for k in range(3):
        ref = map_coordinates(img[k], [yy, xx], order=1, mode="nearest")
        np.testing.assert_allclose(out[k, 4:24, 4:24], ref, rtol=1e-13, atol=1e-15)


def test_upsampled_digits_are_seeded_unit_norm_and_stratified():
    pytest.importorskip("sklearn")
    a, b = mnist.upsampled_digits(0), mnist.upsampled_digits(0)
    assert np.array_equal(a["x_train"], b["x_train"]) and np.array_equal(a["y_test"], b["y_test"])
    assert a["x_train"].shape[1:] == (784, 1) and a["x_train"].shape[0] + a["x_test"].shape[0] == 1797
    assert np.allclose(np.linalg.norm(a["x_test"][:, :, 0], axis=1), 1.0)
    counts = np.bincount(a["y_test"], minlength=10)
    assert counts.min() >= 40 and counts.max() <= 50


def test_within_eps_counts_like_brute_force():
    from slt.experiments.common import within_eps

    rng = np.random.default_rng(3)
    errors = [rng.uniform(-0.02, 0.02, (2, 5, 4, 1)), rng.uniform(-0.002, 0.002, (2, 4, 3, 1))]
    got = within_eps(errors, [0.01, 0.001])
    weights = [(e1, e2) for e in errors for e1, e2 in zip(e[0].ravel(), e[1].ravel())]
    eps = [0.01] * 20 + [0.001] * 12
    brute = sum(abs(p) <= t and abs(q) <= t for (p, q), t in zip(weights, eps))
    assert got["weights_within_eps"] == brute and got["target_params"] == 32
    assert got["problems_within_eps"] == sum(int((np.abs(e) <= t).sum()) for e, t in zip(errors, [0.01, 0.001]))


def test_prune_with_a_per_layer_accuracy():
    from constructions import basis_from_specs, overparameterize, prune, random_network

    b = basis_from_specs({"family": "mlp"}, {"family": "mlp"})
    target = random_network([b, b], [6, 5, 3], np.random.default_rng(4))
    res = prune(overparameterize(target, 42, seed=5), target, eps_layer=[0.01, 0.002])
    assert res.eps_layer == [0.01, 0.002]
    for err, st, e in zip(res.errors, res.status, [0.01, 0.002]):
        assert np.all(np.abs(err)[st == "eps-feasible"] <= e)
        assert set(np.unique(st)) <= {"eps-feasible", "infeasible"}
    with pytest.raises(ValueError, match="one accuracy per target layer"):
        prune(overparameterize(target, 8, seed=5), target, eps_layer=[0.01])


TINY = {"hidden": 6, "epochs": 2, "m_pensia": 12, "m_sweep": [4], "m_cap": 8}


def random_params(n, h, c, m_a, m_b):
    """Theorem 1's random network for an MLP n-h-c (|B| = 1): two dense layers per target layer."""
    return n * n * m_a + n * m_a * h + h * h * m_b + h * m_b * c


def test_pensia_experiment_end_to_end_on_mnist_files(tmp_path):
    from slt.experiments import run_experiment

    res = run_experiment("pensia", seed=0, out=tmp_path / "out", config=dict(TINY, data=str(mnist_dir(tmp_path))))
    keys = (
        "target_params",
        "subset_sum_problems",
        "fraction_within_eps",
        "kept_params",
        "random_params",
        "target_accuracy",
        "pruned_accuracy",
        "output_error_max",
        "subset_sum_seconds",
        "seconds",
    )
    assert all(k in res and k in res["bound_run"] for k in keys)
    assert (
        res["target_params"] == 784 * 6 + 6 * 10 and res["subset_sum_problems"] == 2 * 784 * 6 + 6 * 10
    )  # both paths in layer 1, the positive one after
    assert res["random_params"] == random_params(784, 6, 10, 12, 12)
    assert res["bound_run"]["m"] == [8, 8] and res["bound_run"]["random_params"] == random_params(784, 6, 10, 8, 8)
    assert 0 < res["kept_params"] < res["random_params"]
    assert res["weights_within_eps"] == round(res["fraction_within_eps"] * res["target_params"])
    assert res["data"]["train"] == 60 and "MNIST IDX" in res["data"]["source"]
    saved = json.loads((tmp_path / "out" / "pensia_runs.json").read_text())
    assert [r["run"] for r in saved["rows"]] == ["Pensia-style", "bound (capped)"]
    labels = {c["name"]: c["label"] for c in saved["columns"]}
    assert labels["fraction_within_eps"] == "measured" and labels["error_bound"] == "proven"
    assert (tmp_path / "out" / "pensia_summary.csv").exists()


def test_pensia_experiment_on_the_default_data_is_reproducible(tmp_path):
    pytest.importorskip("sklearn")
    from slt.experiments import run_experiment

    a = run_experiment("pensia", seed=1, out=tmp_path / "a", config=TINY)
    b = run_experiment("pensia", seed=1, out=tmp_path / "b", config=TINY)
    for key in ("kept_params", "pruned_accuracy", "output_error_max", "fraction_within_eps"):
        assert a[key] == b[key] and a["bound_run"][key] == b["bound_run"][key]
    assert "load_digits" in a["data"]["source"]


def test_the_bound_network_is_checked_against_memory_before_it_is_drawn(tmp_path, monkeypatch):
    """Too little memory for the random network at the bound's m: a one-line error with the
    estimate, before any pruning (the estimate is above the arrays it counts)."""
    import groups.memory
    from constructions import basis_from_specs, random_network
    from slt.experiments import run_experiment
    from slt.experiments.pensia import prune_bytes

    b = basis_from_specs({"family": "mlp"}, {"family": "mlp"})
    target = random_network([b, b], [784, 6, 10], np.random.default_rng(0))
    coefficients = 784 * 784 * 8 + 784 * 8 * 6 + 6 * 6 * 8 + 6 * 8 * 10
    assert prune_bytes(target, 8) >= 8 * 2 * coefficients + 8 * 2 * 784 * 6 * 8
    monkeypatch.setattr(groups.memory, "available_memory", lambda: 1_000_000)
    message = r"m = \[8, 8\].* GB, more than 80% of the 0.001 GB.*--quick caps m at 32"
    with pytest.raises(ValueError, match=message) as exc:
        run_experiment("pensia", seed=0, out=tmp_path, config=dict(TINY, data=str(mnist_dir(tmp_path))))
    assert "\n" not in str(exc.value) and not (tmp_path / "pensia.json").exists()
