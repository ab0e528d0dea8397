"""`slt basis` as a user runs it."""

import json

import pytest

from slt.cli import main


def run_json(capsys, *argv):
    assert main(["basis", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "argv,dim,norm",
    [
        (["--family", "mlp"], 1, 1.0),
        (["--family", "cnn", "--grid", "8", "--kernel", "3"], 9, 9.0),
        (["--family", "steerable", "--group", "C4", "--grid", "8", "--kernel", "3"], 36, 36.0),
        (["--family", "steerable", "--group", "D4", "--grid", "8", "--kernel", "5", "--field", "trivial"], 6, 25.0),
        (
            ["--family", "steerable", "--group", "D6", "--grid", "5", "--kernel", "3", "--field-in", "trivial"],
            7,
            7 * 12**0.5,
        ),
        (["--family", "perm", "--n", "5", "--orders", "2", "2"], 15, 25.0),
        (["--family", "perm", "--n", "5", "--orders", "2", "0"], 2, 5.0),
        (["--family", "perm", "--n", "4", "--orders", "1", "--subgroup", "(1 2 3 4)"], 4, 4.0),
    ],
)
def test_basis_json(capsys, argv, dim, norm):
    out = run_json(capsys, *argv)
    assert out["basis_dim"] == dim
    assert out["burnside_dim"] in (dim, None)
    assert out["basis_norm"] == pytest.approx(norm, rel=1e-12)
    assert out["equivariance_error"] < 1e-10
    assert {"basis_dim", "basis_norm", "group_order", "in_size", "out_size", "equivariance_error"} <= set(out)


def test_basis_human_output(capsys):
    assert main(["basis", "--family", "steerable", "--group", "D4", "--grid", "8"]) == 0
    text = capsys.readouterr().out
    assert "basis dimension    72" in text and "Burnside count 72" in text


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--family", "steerable", "--group", "C8"], "C8 does not act exactly"),
        (["--family", "steerable", "--grid", "4", "--kernel", "5"], "kernel size 5 is larger than the grid 4"),
        (["--family", "cnn", "--grid", "-3"], "grid must be an integer >= 1, got -3"),
        (["--family", "mlp", "--n", "3"], "--n does not apply to --family mlp"),
        (["--family", "perm"], "needs --n"),
        (["--family", "perm", "--n", "4", "--orders", "1", "2", "3"], "--orders takes 1 or 2 values"),
        (["--family", "steerable", "--field", "irrep"], "unknown field type"),
    ],
)
def test_basis_bad_input(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["basis", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
