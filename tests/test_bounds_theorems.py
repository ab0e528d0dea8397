"""Theorem 1 / Theorem 2 / inverse questions: hand-computed values, monotonicity, bounds order."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import symbols as S
from bounds.theorem1 import lemma1_m_expr, theorem1_eps_pp_expr, theorem1_random_params_expr

MLP = [{"family": "mlp"}] * 3


def layers(specs, channels):
    return bounds.layers_from_specs(specs, channels)


def steer(group, field="regular", k=3, m=8):
    return {"family": "steerable", "grid": m, "kernel": k, "group": group, "field": field}


# ------------------------------------------------------------------ hand-computed values
def test_mlp_pensia_shape_by_hand():
    r = bounds.network_width(layers(MLP, [784, 500, 10]), eps=0.01, delta=0.01, C=1.0)
    # layer 1 (2 paths): l = 2, eps'' = min(0.01/(4 sqrt(2*784*500)), 0.01/(4*784*500)) = 6.3776e-9 (delta)
    row = r["layers"][0]
    assert row["eps_pp_one_constant"] == pytest.approx(0.01 / (4 * 784 * 500))
    assert row["eps_pp"] == pytest.approx(0.01 / (4 * math.sqrt(2 * 784 * 500)))  # eps'_1
    assert row["delta_pp"] == pytest.approx(0.01 / (2 * 2 * 784 * 500))  # delta''_1
    assert (row["paths"], row["problems"]) == (2, 2 * 784 * 500)
    assert row["m"] == 20  # ceil(ln(2/6.3776e-9)) = ceil(19.56)
    assert row["width"] == 15680
    assert row["random_params"] == 784 * 15680 + 15680 * 500
    assert row["lower_bound_params"] == 2212391  # ceil(392000 log2(50) - 1)
    # layer 2 (positive path only): eps'' = min(0.01/(4 sqrt(5000)), 0.01/(2*5000)) = 1e-6, m = ceil(ln(2e6)) = 15
    row = r["layers"][1]
    assert (row["paths"], row["problems"]) == (1, 5000)
    assert row["m"] == 15 and row["width"] == 7500
    assert r["width"] == 15680 and r["C_source"] == "user" and r["label"] == "proven given C"
    assert r["form"] == "one_constant"
    assert r["total_random_params"] == 784 * 15680 + 15680 * 500 + 500 * 7500 + 7500 * 10


def test_cnn_by_hand():
    spec = {"family": "cnn", "grid": 8, "kernel": 3}
    r = bounds.network_width(layers([spec] * 3, [3, 16, 10]), eps=0.1, delta=0.05, C=2.0)
    l1, l2 = r["layers"]
    assert (l1["basis_dim"], l1["basis_norm"], l1["hidden_basis_dim"]) == (9, 9.0, 9)
    assert l1["eps_pp_one_constant"] == pytest.approx(0.05 / (4 * 3 * 16 * 9))  # delta term 2.89e-5
    assert (l1["m"], l1["width"], l1["random_params"], l1["lower_bound_params"]) == (23, 69, 11799, 1003)
    # layer 2, positive path: eps'' = 0.05/(2*16*10*9) = 1.736e-5, m = ceil(2 ln(115200)) = 24
    assert l2["eps_pp_one_constant"] == pytest.approx(0.05 / (2 * 16 * 10 * 9))
    assert (l2["m"], l2["width"], l2["random_params"], l2["lower_bound_params"]) == (24, 384, 89856, 3343)
    assert r["total_random_params"] == 11799 + 89856
    assert r["tightness_ratio"] == pytest.approx((11799 + 89856) / (1003 + 3343))


@pytest.mark.parametrize(
    "group, dim, m, width, params, lower",
    [
        # C4: |B| = ||B|| = 36, eps'' = 0.05/(2*4*36) = 0.1/(2*8*36) = 1/5760, m = ceil(1.5 ln 11520) = 15
        ("C4", 36, 15, 30, 2 * 30 * 36 + 30 * 4 * 36, 956),
        # D4: |B| = ||B|| = 72, eps'' = 1/11520, m = ceil(1.5 ln 23040) = ceil(15.07) = 16
        ("D4", 72, 16, 32, 2 * 32 * 72 + 32 * 4 * 72, 1913),
    ],
)
def test_steerable_by_hand(group, dim, m, width, params, lower):
    r = bounds.network_width(layers([steer(group)] * 2, [2, 4]), eps=0.05, delta=0.1, C=1.5)
    row = r["layers"][0]
    assert (row["basis_dim"], row["basis_norm"]) == (dim, float(dim))
    assert (row["m"], row["width"], row["random_params"], row["lower_bound_params"]) == (m, width, params, lower)


def test_sn_by_hand():
    spec = {"family": "perm", "n": 5, "order": 2, "subgroup": "S"}
    r = bounds.network_width(layers([spec] * 2, [1, 3]), eps=0.01, delta=0.01, C=2.0)
    row = r["layers"][0]
    assert (row["basis_dim"], row["basis_norm"], row["hidden_basis_dim"]) == (15, 25.0, 15)
    assert row["eps_pp"] == pytest.approx(0.01 / (2 * math.sqrt(6) * 25))  # eps term 8.16e-5
    assert (row["m"], row["width"], row["random_params"], row["lower_bound_params"]) == (21, 21, 1260, 253)


def test_paper_form_and_affine_constant():
    r = bounds.network_width(layers(MLP, [784, 500, 10]), eps=0.01, delta=0.01, C=1.0)
    assert r["layers"][0]["paper_width"] == 784 * math.ceil(math.log(2 * 784 * 500 / 0.01))
    r2 = bounds.network_width(layers(MLP, [784, 500, 10]), eps=0.01, delta=0.01, C=1.0, c0=3.0)
    assert [x["m"] for x in r2["layers"]] == [x["m"] + 3 for x in r["layers"]]
    assert "c_{0}" in r2["formula_latex"] and "c_{0}" not in r["formula_latex"]


# ------------------------------------------------------------------ symbolic = numeric
@given(
    n_in=st.integers(1, 500),
    n_out=st.integers(1, 500),
    B=st.integers(1, 300),
    norm=st.floats(1, 500),
    hid=st.integers(1, 300),
    eps=st.floats(1e-6, 0.99),
    delta=st.floats(1e-6, 0.99),
    depth=st.integers(1, 12),
    C=st.floats(0.5, 6),
)
def test_symbolic_formulas_match_numbers(n_in, n_out, B, norm, hid, eps, delta, depth, C):
    sub = {
        S.n_in: n_in,
        S.n_out: n_out,
        S.B: B,
        S.B_norm: norm,
        S.B_hid: hid,
        S.eps: eps,
        S.delta: delta,
        S.l: depth,
        S.C: C,
        S.paths: 2,
    }
    row = bounds.theorem1_layer(n_in, n_out, B, norm, hid, eps, delta, depth, C)
    assert float(theorem1_eps_pp_expr().subs(sub)) == pytest.approx(row["eps_pp"], rel=1e-9)
    m_real = float(bounds.theorem1_m_expr().args[0].subs(sub))  # inside the ceiling
    if abs(m_real - round(m_real)) > 1e-6:
        assert int(bounds.theorem1_m_expr().subs(sub)) == row["m"]
        assert int(theorem1_random_params_expr().subs(sub)) == row["random_params"]
    m_lemma = float(lemma1_m_expr().subs({S.eps_l: eps / (2 * depth), S.delta_l: delta / depth, **sub}))
    assert m_lemma == pytest.approx(m_real, rel=1e-9)
    lb = float(bounds.lower_bound_expr().subs(sub))
    if eps < 0.5 and abs(lb - round(lb)) > 1e-6:
        assert bounds.lower_bound(n_in, n_out, B, eps) == max(0, math.ceil(lb))


# ------------------------------------------------------------------ monotonicity
layer_params = st.fixed_dictionaries(
    {
        "n_in": st.integers(1, 200),
        "n_out": st.integers(1, 200),
        "basis_dim": st.integers(1, 100),
        "basis_norm": st.floats(1, 100),
        "hidden_basis_dim": st.integers(1, 100),
    }
)


def one(layer, depth=1):
    chain = []
    for _ in range(depth):
        chain.append(dict(layer, n_in=layer["n_in"], n_out=layer["n_in"]))
    chain[-1] = dict(chain[-1], n_out=layer["n_out"])
    return chain


@given(layer=layer_params, eps=st.floats(1e-8, 0.5), f=st.floats(1.0, 50.0), C=st.floats(0.5, 5))
def test_width_monotone_in_eps_and_delta(layer, eps, f, C):
    L = [layer]
    base = bounds.min_width(L, eps, 0.01, C)
    assert bounds.min_width(L, min(0.99, eps * f), 0.01, C) <= base
    assert bounds.min_width(L, eps, min(0.99, 0.01 * f), C) <= base
    assert bounds.min_width(L, eps, 0.01 / f, C) >= base


@given(layer=layer_params, eps=st.floats(1e-8, 0.9), depth=st.integers(1, 6), C=st.floats(0.5, 5))
def test_width_increases_with_depth(layer, eps, depth, C):
    shallow = bounds.network_width(one(layer, depth), eps, 0.01, C)
    deep = bounds.network_width(one(layer, depth + 1), eps, 0.01, C)
    assert deep["layers"][-1]["m"] >= shallow["layers"][-1]["m"]
    assert deep["width"] >= shallow["width"]
    assert deep["total_random_params"] > shallow["total_random_params"]


@given(
    layer=layer_params,
    eps=st.floats(1e-8, 0.9),
    key=st.sampled_from(["n_in", "n_out", "basis_dim", "basis_norm"]),
    grow=st.integers(1, 100),
    C=st.floats(0.5, 5),
)
def test_width_increases_with_channels_and_basis(layer, eps, key, grow, C):
    bigger = dict(layer, **{key: layer[key] + grow})
    assert bounds.min_width([bigger], eps, 0.01, C) >= bounds.min_width([layer], eps, 0.01, C)
    a = bounds.network_width([layer], eps, 0.01, C)["layers"][0]
    b = bounds.network_width([bigger], eps, 0.01, C)["layers"][0]
    assert b["m"] >= a["m"] and b["random_params"] >= a["random_params"]


def test_width_increases_with_basis_size_of_the_family():
    eps = 1e-3
    widths = [bounds.min_width(layers([steer(g)] * 2, [4, 4]), eps, 0.01, 2.0) for g in ("C1", "C2", "C4", "D4")]
    assert widths == sorted(widths) and widths[0] < widths[-1]


# ------------------------------------------------------------------ lower <= upper
FAMILY_SPECS = [
    [{"family": "mlp"}] * 2,
    [{"family": "cnn", "grid": 8, "kernel": 3}] * 2,
    [{"family": "cnn", "grid": 8, "kernel": 4}] * 2,
    [steer("C4"), steer("C4")],
    [steer("D4", "trivial", 5), steer("D4", "regular", 5)],
    [steer("D6", "regular", 5), steer("D6", "quotient:C2", 5)],
    [steer("C4"), steer("C4", "point")],
    [steer("D3", "point"), steer("D3", "regular")],
] + [
    [{"family": "perm", "n": 6, "order": 2, "subgroup": s}, {"family": "perm", "n": 6, "order": 1, "subgroup": s}]
    for s in ("S", "A", "C", "D", "(1 2 3)(4 5)")
]


@given(
    specs=st.sampled_from(FAMILY_SPECS),
    eps=st.floats(1e-12, 0.4999),
    n0=st.integers(1, 64),
    n1=st.integers(1, 64),
    C=st.sampled_from([None, 1 / math.log(2), 2.0, 5.0]),
)
def test_lower_bound_below_upper_bound(specs, eps, n0, n1, C):
    r = bounds.network_width(layers(specs, [n0, n1]), eps, 0.01, C)
    for row in r["layers"]:
        assert 0 <= row["lower_bound_params"] <= row["random_params"]
    assert r["total_lower_bound_params"] <= r["total_random_params"]


def test_too_small_constant_is_flagged():
    L = [{"n_in": 4, "n_out": 4, "basis_dim": 9, "basis_norm": 9.0, "hidden_basis_dim": 9}]
    assert bounds.network_width(L, 1e-6, 0.01, C=6.0)["warnings"] == []
    r = bounds.network_width(L, 1e-6, 0.01, C=0.05)
    assert r["layers"][0]["random_params"] < r["layers"][0]["lower_bound_params"]
    assert "layer 1" in r["warnings"][0] and "C = 0.05" in r["warnings"][0]
    # C = 2 passes Theorem 2 but not the proven Subset-Sum floor (counting: 2^K sums need K >= 27)
    r = bounds.network_width(L, 1e-6, 0.01, C=2.0)
    assert r["layers"][0]["m"] < r["layers"][0]["m_floor"] and "below the proven floor" in r["warnings"][0]


def test_lower_bound_vacuous_from_half():
    assert bounds.lower_bound(10, 10, 5, 0.5) == 0 and bounds.lower_bound(10, 10, 5, 0.9) == 0
    assert bounds.tightness_ratio(100, 0) is None
    assert bounds.lower_bound(3, 4, 5, 0.25) == 59  # 60 * log2(2) - 1


# ------------------------------------------------------------------ inverse questions
@given(
    layer=layer_params,
    depth=st.integers(1, 4),
    width=st.integers(1, 20000),
    C=st.floats(0.5, 5),
    c0=st.sampled_from([0.0, 2.5, -1.0]),
)
def test_best_eps_inverts_min_width(layer, depth, width, C, c0):
    L = one(layer, depth)
    try:
        eps = bounds.best_eps(L, width, 0.01, C, c0)
    except ValueError as exc:
        if "below the float range" in str(exc):  # so wide that eps < 1e-308 is reachable
            assert bounds.min_width(L, 1e-300, 0.01, C, c0) <= width
        else:  # infeasible: no eps of a grid fits either
            for e in (0.99, 0.5, 0.1, 1e-3):
                assert bounds.min_width(L, e, 0.01, C, c0) > width
        return
    assert 0 < eps < 1
    assert bounds.min_width(L, eps, 0.01, C, c0) <= width
    smaller = eps * (1 - 1e-9)
    assert bounds.min_width(L, smaller, 0.01, C, c0) > width


@given(layer=layer_params, eps=st.floats(1e-9, 0.9), C=st.floats(0.5, 5))
def test_min_width_then_best_eps(layer, eps, C):
    W = bounds.min_width([layer], eps, 0.01, C)
    back = bounds.best_eps([layer], W, 0.01, C)
    assert back <= eps * (1 + 1e-12)
    assert bounds.min_width([layer], back, 0.01, C) == W


def test_best_eps_expression_inverts_the_formula():
    eps_expr = bounds.best_eps_expr()
    m_expr = S.C * sp.log(4 * S.l * sp.sqrt(2 * S.n_in * S.n_out) * S.B_norm / S.eps)  # eps term, no ceiling
    assert sp.simplify(sp.expand_log(m_expr.subs(S.eps, eps_expr) - S.W / S.n_in, force=True)) == 0


@pytest.mark.parametrize("width", [100, 1000, 1001, 2500, 3000])
def test_best_eps_separable_at_large_widths(width):
    """The calibrated separable form at m in the hundreds or thousands: the forward sum rounds
    up by ulps of m at an exact integer (best_eps at W = 1000 raised AssertionError); the
    answer fits W, and an eps smaller by one part in 10^9 does not fit W - 1."""
    layers = [{"n_in": 1, "n_out": 1, "basis_dim": 1, "basis_norm": 1.0, "hidden_basis_dim": 1}]
    eps = bounds.best_eps(layers, width)
    assert bounds.min_width(layers, eps, 0.01) <= width
    assert bounds.min_width(layers, eps * (1 - 1e-9), 0.01) >= width
