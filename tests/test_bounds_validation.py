"""Bad input: clear ValueErrors that name the value and the accepted range."""

from __future__ import annotations

import math

import pytest

import bounds
from bounds.calibration import calibrated_constant

MLP_LAYER = {"n_in": 3, "n_out": 4, "basis_dim": 1, "basis_norm": 1.0, "hidden_basis_dim": 1}


def steer(group="C4", field="regular", k=3, m=8):
    return {"family": "steerable", "grid": m, "kernel": k, "group": group, "field": field}


@pytest.mark.parametrize(
    "eps, shown",
    [(1.5, "got 1.5"), (0, "got 0"), (1, "got 1"), (-0.1, "got -0.1"), (math.nan, "nan"), ("0.1", "'0.1'")],
)
def test_eps_outside_unit_interval(eps, shown):
    with pytest.raises(ValueError, match=r"eps must be .*\(0, 1\)") as info:
        bounds.network_width([MLP_LAYER], eps, 0.01, C=2.0)
    assert shown in str(info.value)


@pytest.mark.parametrize("delta", [0.0, 1.0, 2.0, -1e-3])
def test_delta_outside_unit_interval(delta):
    with pytest.raises(ValueError, match=rf"delta must be in \(0, 1\), got {delta}"):
        bounds.network_width([MLP_LAYER], 0.1, delta, C=2.0)


def test_depth_zero():
    with pytest.raises(ValueError, match="depth l must be >= 1"):
        bounds.network_width([], 0.1, 0.01, C=2.0)
    with pytest.raises(ValueError, match=r"depth l must be an integer >= 1, got 0"):
        bounds.theorem1_layer(3, 4, 1, 1.0, 1, 0.1, 0.01, depth=0, C=2.0)
    with pytest.raises(ValueError, match=r"at least 2 values .*depth >= 1"):
        bounds.layers_from_specs([{"family": "mlp"}], [3])


@pytest.mark.parametrize("channels, shown", [([3, -1], "n_1 = -1"), ([0, 4], "n_0 = 0"), ([3, 4, 2.5], "n_2 = 2.5")])
def test_bad_channels(channels, shown):
    with pytest.raises(ValueError, match="channels must be integers >= 1") as info:
        bounds.layers_from_specs([{"family": "mlp"}] * len(channels), channels)
    assert shown in str(info.value)


@pytest.mark.parametrize(
    "a, b, shown",
    [
        ({"family": "mlp"}, {"family": "cnn", "grid": 8, "kernel": 3}, "family 'mlp' -> 'cnn'"),
        ({"family": "cnn", "grid": 8, "kernel": 3}, {"family": "cnn", "grid": 9, "kernel": 3}, "grid 8 -> 9"),
        (steer("C4"), steer("D4"), "group 'C4' -> 'D4'"),
        (steer(k=3), steer(k=5), "kernel 3 -> 5"),
        (
            {"family": "perm", "n": 5, "order": 1, "subgroup": "S"},
            {"family": "perm", "n": 6, "order": 1, "subgroup": "S"},
            "n 5 -> 6",
        ),
        (
            {"family": "perm", "n": 5, "order": 1, "subgroup": "S"},
            {"family": "perm", "n": 5, "order": 1, "subgroup": "A"},
            "subgroup 'S' -> 'A'",
        ),
    ],
)
def test_incompatible_consecutive_specs_name_both(a, b, shown):
    with pytest.raises(ValueError, match="incompatible consecutive field types") as info:
        bounds.layers_from_specs([a, b], [2, 3])
    msg = str(info.value)
    assert shown in msg and str(a) in msg and str(b) in msg and "layer 1" in msg


@pytest.mark.parametrize(
    "spec, pattern",
    [
        (
            steer("C8"),
            r"C8 does not act exactly on a pixel lattice; the exact rotation groups are "
            r"C1, C2, C4, D1, D2, D4 \(square lattice\) and C3, C6, D3, D6 \(hexagonal lattice\)",
        ),
        (steer("C4", k=4), r"kernel size 4 is even: only odd kernels are invariant under C4"),
        (steer("C4", k=9, m=8), r"kernel size 9 is larger than the grid 8"),
        (steer("C4", "quotient:C3"), r"d = 3 must divide N = 4"),
        (
            steer("C4", "quotient:D2"),
            r"D2 is not a subgroup of C4: C4 has no reflections \(D_d is a subgroup only of a "
            r"dihedral H\)",
        ),
        (steer("C4", "foo"), r"unknown field type 'foo': use regular, trivial, quotient:K .* or point"),
        ({"family": "cnn", "grid": 0, "kernel": 1}, r"grid must be an integer >= 1, got 0"),
        ({"family": "perm", "n": 0, "order": 1}, r"n must be an integer >= 1, got 0"),
        ({"family": "perm", "n": 4, "order": -1}, r"order must be an integer in 0\.\.6, got -1"),
        ({"family": "perm", "n": 4, "order": 1, "subgroup": "X"}, r"subgroup must be S, A, C, D or generators"),
        (
            {"family": "perm", "n": 4, "order": 1, "subgroup": "(1 5)"},
            r"point 5 of generator '\(1 5\)' is outside 1..4",
        ),
        ({"family": "gnn"}, r"family must be one of mlp, cnn, steerable, perm; got 'gnn'"),
    ],
)
def test_bad_specs(spec, pattern):
    with pytest.raises(ValueError, match=pattern):
        bounds.basis_dim(spec, spec)


@pytest.mark.parametrize("C", [0, -1.0, math.inf])
def test_bad_constant(C):
    with pytest.raises(ValueError, match="C must be a positive number"):
        bounds.network_width([MLP_LAYER], 0.1, 0.01, C=C)


def test_c0_without_C():
    with pytest.raises(ValueError, match="c0 = 1.0 given without C"):
        bounds.network_width([MLP_LAYER], 0.1, 0.01, c0=1.0)


def test_layers_must_chain():
    with pytest.raises(ValueError, match="layer 1 has n_out = 4 but layer 2 has n_in = 5"):
        bounds.network_width([MLP_LAYER, dict(MLP_LAYER, n_in=5)], 0.1, 0.01, C=2.0)


def test_missing_calibration_file_says_run_calibrate(tmp_path):
    with pytest.raises(ValueError, match="run `slt calibrate --install`"):
        calibrated_constant(tmp_path / "nope.json")


def test_best_eps_infeasible():
    with pytest.raises(ValueError, match="width W = 2 is below n_0 = 3"):
        bounds.best_eps([MLP_LAYER], 2, 0.01, C=2.0)
    with pytest.raises(ValueError, match="cannot reach delta"):
        bounds.best_eps([MLP_LAYER], 3, 0.01, C=2.0)
