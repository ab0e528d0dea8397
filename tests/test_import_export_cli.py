"""`slt import-weights` and `slt export` as a user runs them: the round trip through dense weights,
state_dict names, refusals with the residual named, and the ONNX export checked by onnxruntime."""

import json

import numpy as np
import pytest
from cli_run import run

from slt.cli import main

FAMILY = [
    "--family",
    "steerable",
    "--group",
    "D4",
    "--grid",
    "5",
    "--channels",
    "1",
    "2",
    "2",
    "--fields",
    "trivial",
    "regular",
    "point",
]


@pytest.fixture(scope="module")
def pruned(tmp_path_factory):
    d = tmp_path_factory.mktemp("io")
    main(["prune", *FAMILY, "--eps", "0.1", "--seed", "3", "--m", "40", "--json", "--save", str(d / "p.npz")])
    return d


def test_round_trip_through_the_cli(pruned, capsys):
    """prune --save -> export (dense target) -> import-weights -> prune --target: same coefficients,
    same random network, same masks."""
    d = pruned
    code, out, _ = run(["export", str(d / "p.npz"), "--out", str(d / "dense.npz")], capsys)
    assert code == 0 and "layer_4" in out
    with np.load(d / "dense.npz") as f:
        np.savez(d / "w.npz", layer_1=f["target_1"], layer_2=f["target_2"])
        meta = json.loads(str(f["meta"]))
    assert [lay["kind"] for lay in meta["target"]] == ["conv", "linear"]
    code, out, _ = run(["import-weights", str(d / "w.npz"), *FAMILY, "--out", str(d / "t.npz"), "--json"], capsys)
    rep = json.loads(out)
    assert code == 0 and [r["residual"] for r in rep["layers"]] == [0.0, 0.0] and not rep["projected"]
    with np.load(d / "t.npz") as t, np.load(d / "p.npz") as p:
        for i in (1, 2):
            assert np.array_equal(t[f"layer_{i}"], p[f"target_{i}"])
    code, out, _ = run(
        [
            "prune",
            *FAMILY,
            "--eps",
            "0.1",
            "--seed",
            "3",
            "--m",
            "40",
            "--target",
            str(d / "t.npz"),
            "--json",
            "--save",
            str(d / "p2.npz"),
        ],
        capsys,
    )
    assert code == 0
    with np.load(d / "p2.npz") as a, np.load(d / "p.npz") as b:
        for j in range(1, 5):
            assert np.array_equal(a[f"mask_{j}"], b[f"mask_{j}"]) and np.array_equal(a[f"random_{j}"], b[f"random_{j}"])
    code, out, _ = run(["verify", str(d / "p2.npz")], capsys)
    assert code == 0 and "masks                        re-solved" in out


def test_non_equivariant_weights_are_refused_with_the_residual(pruned, capsys):
    d = pruned
    with np.load(d / "dense.npz") as f:
        w1, w2 = f["target_1"], f["target_2"]
    noisy = w1 + 0.05 * np.random.default_rng(0).standard_normal(w1.shape)
    expected = np.linalg.norm(noisy - w1) / np.linalg.norm(noisy)  # lower bound: the projection is closer than w1
    np.savez(d / "bad.npz", **{"conv.weight": noisy, "head.weight": w2, "conv.bias": np.zeros(w1.shape[0])})
    names = ["--names", "conv.weight", "head.weight"]
    code, _, err = run(["import-weights", str(d / "bad.npz"), *FAMILY, *names, "--out", str(d / "x.npz")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "layer 1 (conv.weight) relative non-equivariant residual" in err and "> --tolerance 1e-05" in err
    assert "layer 2" not in err and not (d / "x.npz").exists()
    code, out, _ = run(
        ["import-weights", str(d / "bad.npz"), *FAMILY, *names, "--out", str(d / "x.npz"), "--project", "--json"],
        capsys,
    )
    rep = json.loads(out)
    assert code == 0 and rep["projected"] and 0 < rep["layers"][0]["residual"] < expected
    assert rep["layers"][1]["residual"] == 0.0
    code, out, _ = run(
        ["import-weights", str(d / "bad.npz"), *FAMILY, *names, "--out", str(d / "y.npz"), "--tolerance", "1"], capsys
    )
    assert code == 0 and "PROJECTED" not in out


@pytest.mark.parametrize(
    "extra,arrays,needle",
    [
        ([], {"layer_1": np.zeros((8, 1, 3, 3))}, "has no array 'layer_2'"),
        (["--names", "a"], {"a": np.zeros(1)}, "--names takes one array name per layer (2"),
        (
            [],
            {"layer_1": np.zeros((8, 2, 3, 3)), "layer_2": np.zeros((2, 400))},
            r"layer 1 (layer_1): shape (8, 2, 3, 3), this layer needs (16, 1, 3, 3)",
        ),
        (
            ["--names", "c.weight", "h.weight"],
            {"c.weight": np.zeros((16, 1, 3, 3)), "c.bias": np.ones(16), "h.weight": np.zeros((2, 400))},
            "c.bias is nonzero",
        ),
        (["--tolerance", "-1"], {}, "--tolerance must be a number >= 0"),
    ],
)
def test_import_errors_are_one_line(pruned, capsys, extra, arrays, needle):
    np.savez(pruned / "e.npz", **(arrays or {"x": np.zeros(1)}))
    code, _, err = run(
        ["import-weights", str(pruned / "e.npz"), *FAMILY, *extra, "--out", str(pruned / "o.npz")], capsys
    )
    assert code == 2 and err.count("\n") == 1 and needle in err, err


def test_export_onnx_checked_against_the_engine(pruned, capsys):
    pytest.importorskip("onnxruntime")
    cases = (("pruned", "float64", 1e-12), ("collapsed", "float64", 1e-12), ("target", "float32", 3e-5))
    for form, dtype, tol in cases:
        out_path = pruned / f"{form}.onnx"
        code, out, _ = run(
            [
                "export",
                str(pruned / "p.npz"),
                "--out",
                str(out_path),
                "--format",
                "onnx",
                "--form",
                form,
                "--dtype",
                dtype,
                "--json",
            ],
            capsys,
        )
        rep = json.loads(out)
        assert code == 0 and out_path.stat().st_size == rep["bytes"]
        assert rep["check"]["max_relative_difference"] < tol
    code, _, err = run(
        ["export", str(pruned / "t.npz"), "--out", str(pruned / "o.onnx"), "--format", "onnx", "--form", "pruned"],
        capsys,
    )
    assert code == 2 and "is a target file; it holds only the form 'target'" in err
    code, _, err = run(["export", str(pruned / "p.npz"), "--out", str(pruned / "no" / "o.npz")], capsys)
    assert code == 2 and "--out" in err and "does not exist" in err


def test_an_output_never_replaces_the_command_input(pruned, capsys):
    """prune --target t --save t, import-weights w --out w and export p --out p wrote over their
    own input (atomically, so silently); now refused before any work, the input unchanged."""
    p = pruned / "p.npz"
    main(["export", str(p), "--out", str(pruned / "dense.npz")])
    capsys.readouterr()
    weights = pruned / "w.npz"
    d = np.load(pruned / "dense.npz")
    np.savez(weights, layer_1=d["target_1"], layer_2=d["target_2"])
    target = pruned / "t_in.npz"
    main(["import-weights", str(weights), *FAMILY, "--out", str(target)])
    capsys.readouterr()
    cases = [
        (["export", str(p), "--out", str(pruned / "." / "p.npz")], p, "is the input file"),
        (["import-weights", str(weights), *FAMILY, "--out", str(weights)], weights, "is the weights file"),
        (
            ["prune", *FAMILY, "--eps", "0.1", "--m", "8", "--target", str(target), "--save", str(target)],
            target,
            "is the --target file",
        ),
    ]
    for argv, path, needle in cases:
        before = path.read_bytes()
        code, _, err = run(argv, capsys)
        assert code == 2 and needle in err and err.count("\n") == 1, err
        assert path.read_bytes() == before


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--out", "refused.npz", "--dtype", "float32"], "--dtype: ONNX only"),
        (["--out", "refused.npz", "--form", "collapsed"], "--form: ONNX only"),
        (["--out", "refused.npz", "--no-check"], "--no-check: ONNX only"),
        (["--out", "refused.onnx"], "ends in .onnx but --format is npz"),
        (["--out", "refused.npz", "--format", "onnx"], "ends in .npz but --format is onnx"),
    ],
)
def test_export_refuses_flags_its_format_ignores(pruned, extra, needle, capsys, monkeypatch):
    monkeypatch.chdir(pruned)
    code, _, err = run(["export", str(pruned / "p.npz"), *extra], capsys)
    assert code == 2 and needle in err, err
    assert not (pruned / "refused.npz").exists() and not (pruned / "refused.onnx").exists()


def test_an_onnx_model_that_disagrees_with_the_engine_fails_the_command(pruned, capsys, monkeypatch):
    """A nan or too large difference printed 'checked against the engine' and exited 0."""
    import slt.cmd_export as cmd

    for diff in (float("nan"), 1e-3):
        monkeypatch.setattr(
            cmd, "_check_onnx", lambda *a, d=diff: {"inputs": 4, "max_relative_difference": d, "runtime": "stub"}
        )
        out = pruned / "disagree.onnx"
        code, _, err = run(["export", str(pruned / "p.npz"), "--format", "onnx", "--out", str(out)], capsys)
        assert code == 1 and "disagrees with the engine" in err, err
