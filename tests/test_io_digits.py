"""Issue 16's goal, end to end: a C4 digits model trained by `slt experiment digits`, exported to
dense weights, re-imported, pruned and exported again as ONNX; run outside the toolkit
(onnxruntime, and a NumPy forward pass written for the tests on the first export), the final
logits are within the reported error bound of the original target's logits on every test input."""

import json

import numpy as np
import pytest
from numpy_reference import numpy_forward

from slt.cli import main

TINY = {
    "conv": [4, 4],
    "conv_d4": [2],
    "head": [8],
    "epochs": 10,
    "limit": 400,
    "cnn": [2],
    "mlp": [8],
    "m_sweep": [4],
    "m_cap": 4,
}
FAMILY = [
    "--family",
    "steerable",
    "--group",
    "C4",
    "--grid",
    "8",
    "--kernel",
    "3",
    "--channels",
    "1",
    "4",
    "4",
    "8",
    "10",
    "--fields",
    "trivial",
    "regular",
    "regular",
    "point",
    "point",
]


def cli(argv, capsys):
    assert main(argv) == 0
    return capsys.readouterr().out


def test_trained_digits_model_round_trip_through_onnx(tmp_path, capsys):
    pytest.importorskip("sklearn")
    ort = pytest.importorskip("onnxruntime")
    from slt.experiments import run_experiment
    from slt.experiments.data import digits_data

    res = run_experiment("digits", seed=0, out=tmp_path / "exp", config=TINY)
    original = res["models"][0]["target_file"]
    assert res["models"][0]["model"] == "C4 steerable CNN" and original.endswith("digits_C4_target.npz")
    d = tmp_path
    cli(["export", original, "--out", str(d / "dense.npz")], capsys)
    cli(["import-weights", str(d / "dense.npz"), *FAMILY, "--out", str(d / "target.npz")], capsys)
    rep = json.loads(
        cli(
            [
                "prune",
                *FAMILY,
                "--target",
                str(d / "target.npz"),
                "--eps",
                "5e-4",
                "--m",
                "56",
                "--certify",
                "no",
                "--samples",
                "16",
                "--json",
                "--save",
                str(d / "pruned.npz"),
            ],
            capsys,
        )
    )
    bound = rep["error_bound"]
    assert bound <= 5e-4
    cli(["export", str(d / "pruned.npz"), "--format", "onnx", "--out", str(d / "final.onnx")], capsys)

    # outside the toolkit: the test images (unit norm, as the experiment feeds them), onnxruntime,
    # and the original target's logits from its first dense export with the NumPy reference
    x = digits_data(0, limit=TINY["limit"])["x_test_rot"]  # (N, 1, 64), ||x|| = 1
    with np.load(d / "dense.npz") as f:
        original_logits = numpy_forward([f[f"layer_{i}"] for i in range(1, 5)], x.reshape(len(x), -1), 8)
    session = ort.InferenceSession(str(d / "final.onnx"), providers=["CPUExecutionProvider"])
    final_logits = session.run(None, {"x": x.reshape(len(x), 1, 8, 8)})[0]
    errors = np.linalg.norm(final_logits - original_logits, axis=1)
    assert errors.max() <= bound
    assert bound < 0.1 * np.abs(original_logits).max()  # the bound is far below the logits: not vacuous
    with np.load(original) as f:  # the re-imported target is the trained one, bit for bit
        with np.load(d / "target.npz") as t:
            assert all(np.array_equal(f[f"layer_{i}"], t[f"layer_{i}"]) for i in range(1, 5))
