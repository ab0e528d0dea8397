"""``slt width`` as a user runs it: JSON keys, numbers, labels, inverse question, errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import bounds
from bounds.calibration import CALIBRATION_PATH as DATA_PATH
from slt.cli import main

MLP = ["width", "--family", "mlp", "--channels", "784", "500", "10", "--eps", "0.01"]
KEYS = {
    "layers",
    "total_random_params",
    "total_lower_bound_params",
    "tightness_ratio",
    "C",
    "C_source",
    "formula_latex",
}
LAYER_KEYS = {"n_in", "n_out", "basis_dim", "basis_norm", "m", "width", "random_params", "lower_bound_params"}


def run_json(argv, capsys):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_mlp_json_reproduces_pensia_shape(capsys):
    r = run_json(MLP + ["--C", "1"], capsys)
    assert KEYS <= set(r) and all(LAYER_KEYS <= set(row) for row in r["layers"])
    assert [row["m"] for row in r["layers"]] == [20, 15]  # layer 2: positive path only
    assert [row["width"] for row in r["layers"]] == [15680, 7500]
    assert r["C"] == 1.0 and r["C_source"] == "user" and r["label"] == "proven given C"
    assert r["family_formula_latex"] is not None and "B_i" not in r["family_formula_latex"]  # |B| = ||B|| = 1


def test_mlp_text_prints_width_formula_and_labels(capsys):
    assert main(MLP + ["--C", "1"]) == 0
    out = capsys.readouterr().out
    assert "width of the random network (max_i ñ_i): 15680  [proven given C]" in out
    assert "Pensia et al. (2020) Theorem 1" in out and "14896, 7000" in out
    assert "lower bound (Theorem 2): 2240610" in out
    assert "ñᵢ = n_{i-1}" in out  # SymPy pretty print


@pytest.mark.skipif(not DATA_PATH.exists(), reason="no calibrated constant shipped yet (run slt calibrate)")
def test_default_constant_is_the_calibrated_one(capsys):
    r = run_json(MLP, capsys)
    cal, sep = bounds.calibrated_constant(), bounds.calibrated_separable()
    assert r["form"] == "separable" and r["separable"]["source"] == "calibrated"
    assert (r["separable"]["a"], r["separable"]["b"], r["separable"]["c"]) == (sep["a"], sep["b"], sep["c"])
    assert r["C_source"] == "calibrated" and r["C"] == cal["C"] and r["c0"] == cal["c0"]
    for row in r["layers"]:
        a, b, c = sep["a"], sep["b"], sep["c"]
        assert row["m_separable"] == math.ceil(a * math.log2(1 / row["eps_pp"]) + b * math.log(1 / row["delta_pp"]) + c)
        assert row["m_one_constant"] == math.ceil(cal["C"] * math.log(2 / row["eps_pp_one_constant"]) + cal["c0"])
        assert row["m"] == row["m_separable"] >= row["m_floor"]
        assert row["extrapolated_eps"] == (not sep["eps_range"][0] <= row["eps_pp"] <= sep["eps_range"][1])
        assert row["extrapolated_delta"] == (not sep["delta_range"][0] <= row["delta_pp"] <= sep["delta_range"][1])
    assert main(MLP) == 0
    out = capsys.readouterr().out
    assert "separable:" in out and "one constant:" in out and "m_floor" in out


def test_latex_output(capsys):
    assert main(MLP + ["--C", "2", "--latex"]) == 0
    out = capsys.readouterr().out
    assert r"\tilde n_i = n_{i-1} \left\lceil{C \ln" in out and r"\|B_i\|" in out


def test_solve_eps_inverts(capsys):
    r = run_json(
        ["width", "--family", "mlp", "--channels", "784", "500", "10", "--solve-eps", "--width", "20000", "--C", "1"],
        capsys,
    )
    eps = r["eps"]
    assert 0 < eps < 1 and r["width"] <= 20000 and r["width_budget"] == 20000
    layers = bounds.layers_from_specs([{"family": "mlp"}] * 3, [784, 500, 10])
    assert bounds.min_width(layers, eps * (1 - 1e-9), 0.01, 1.0) > 20000


def test_steerable_and_perm_families(capsys):
    r = run_json(
        [
            "width",
            "--family",
            "steerable",
            "--group",
            "D4",
            "--kernel",
            "3",
            "--grid",
            "8",
            "--channels",
            "2",
            "4",
            "--eps",
            "0.05",
            "--delta",
            "0.1",
            "--C",
            "1.5",
        ],
        capsys,
    )
    row = r["layers"][0]
    assert (row["basis_dim"], row["basis_norm"], row["m"], row["width"]) == (72, 72.0, 16, 32)
    assert r["closed_forms"][0]["basis_dim"] == "8*k**2"
    r = run_json(
        [
            "width",
            "--family",
            "perm",
            "--n",
            "5",
            "--orders",
            "2",
            "2",
            "--channels",
            "1",
            "3",
            "--eps",
            "0.01",
            "--C",
            "2",
        ],
        capsys,
    )
    row = r["layers"][0]
    assert (row["basis_dim"], row["basis_norm"], row["m"], row["random_params"]) == (15, 25.0, 21, 1260)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--eps", "1.5"], "--eps must be in [1e-300, 1), got 1.5"),
        (["--eps", "0.1", "--delta", "0"], "--delta must be in [1e-300, 1), got 0.0"),
        (["--eps", "0.1", "--C", "-2"], "--C must be > 0, got -2.0"),
        (["--solve-eps"], "--solve-eps needs --width"),
        (["--eps", "0.1", "--width", "100"], "pass --solve-eps"),
        ([], "--eps E is required"),
    ],
)
def test_bad_numbers_exit_2_with_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(["width", "--family", "mlp", "--channels", "4", "3"] + argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--family", "mlp", "--channels", "784"], "at least 2 values"),
        (["--family", "mlp", "--channels", "784", "-5", "10"], "n_1 = -5"),
        (
            ["--family", "cnn", "--grid", "8", "--kernel", "9", "--channels", "3", "4"],
            "kernel size 9 is larger than the grid 8",
        ),
        (["--family", "steerable", "--group", "C8", "--channels", "3", "4"], "C8 does not act exactly"),
        (
            ["--family", "steerable", "--group", "C4", "--fields", "regular", "quotient:D2", "--channels", "3", "4"],
            "dihedral",
        ),
    ],
)
def test_bad_network_exit_2_with_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(["width"] + argv + ["--eps", "0.1", "--C", "2"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_console_script_as_a_user():
    exe = Path(sys.executable).with_name("slt")
    proc = subprocess.run([str(exe)] + MLP + ["--C", "1", "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["layers"][0]["width"] == 15680
    proc = subprocess.run(
        [str(exe), "width", "--family", "mlp", "--channels", "4", "3", "--eps", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        proc.returncode == 2
        and "--eps must be in [1e-300, 1), got 2.0" in proc.stderr
        and "Traceback" not in proc.stderr
    )


def test_lower_bound_key_consistency(capsys):
    r = run_json(MLP + ["--C", "3"], capsys)
    assert r["total_lower_bound_params"] == sum(row["lower_bound_params"] for row in r["layers"])
    assert r["tightness_ratio"] == pytest.approx(r["total_random_params"] / r["total_lower_bound_params"])
    assert r["layers"][0]["lower_bound_params"] == math.ceil(784 * 500 * math.log2(50) - 1)
