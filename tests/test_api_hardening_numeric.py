"""Bad inputs to the public numeric API of subsetsum, bounds and groups (found by fuzzing):
each gets one clear ValueError naming the argument, the value and the accepted range."""

from __future__ import annotations

import numpy as np
import pytest

import bounds
import groups
import subsetsum as ss

X = np.array([[0.5, 0.3, 0.2, 0.1]])
PERM = {"family": "perm", "n": 3, "order": 1}
LAYER = [dict(n_in=1, n_out=1, basis_dim=1, basis_norm=1.0, hidden_basis_dim=1)]
E4, D4 = [0.1, 0.01, 0.1, 0.1], [0.1, 0.1, 0.01, 0.001]

CASES = [
    # groups
    ("check_real huge int", lambda: groups.check_real("eps", 10**400, 0, 1), ["eps", "(0, 1)", "401 characters"]),
    ("check_memory inf", lambda: groups.check_memory(float("inf"), "x"), ["nbytes", ">= 0", "inf"]),
    ("check_memory nan", lambda: groups.check_memory(float("nan"), "x"), ["nbytes", ">= 0", "nan"]),
    ("check_memory negative", lambda: groups.check_memory(-1, "x"), ["nbytes", ">= 0", "-1"]),
    ("masked array", lambda: groups.check_real_array("a", np.ma.array([1.0, 2.0], mask=[0, 1])), ["a", "masked"]),
    ("check_subgroup n 0", lambda: groups.check_subgroup("S", 0), ["n must be an integer >= 1", "0"]),
    ("subgroup_elements n 0", lambda: groups.subgroup_elements(0, "S"), ["n must be an integer >= 1", "0"]),
    ("parse_cycles n -1", lambda: groups.parse_cycles("()", -1), ["n must be an integer >= 1", "-1"]),
    ("check_field Z9", lambda: groups.check_field("Z9", "regular"), ["point group", "Z9", "D4"]),
    ("quotient C02", lambda: groups.check_field("D4", "quotient:C02"), ["C02", "leading zeros"]),
    # subsetsum
    ("solve executor str", lambda: ss.solve([[0.1]], [0.1], executor="local"), ["executor", "Executor", "'local'"]),
    ("solve executor int", lambda: ss.solve([[0.1]], [0.1], executor=5), ["executor", "Executor", "5"]),
    ("solve eps 10**400", lambda: ss.solve([[0.1]], [0.1], eps=10**400), ["eps", "> 0", "401 characters"]),
    (
        "evaluate broadcast target",
        lambda: ss.evaluate(np.ones((2, 3)), np.ones((2, 3), bool), np.zeros(1)),
        ["targets", "(1,)", "(2, 3)", "never broadcast"],
    ),
    (
        "evaluate nan target",
        lambda: ss.evaluate(np.ones((1, 3)), np.ones((1, 3), bool), np.array([np.nan])),
        ["problem 0", "nan", "finite"],
    ),
    ("solve masked", lambda: ss.solve(np.ma.array([[1.0, 2.0]], mask=[[0, 1]]), [1.0]), ["samples", "masked"]),
    ("code_sums complex", lambda: ss.code_sums([[1j, 1.0]]), ["code_sums", "complex"]),
    ("code_sums memory", lambda: ss.code_sums(np.ones((1, 45))), ["code_sums", "45 samples", "GB"]),
    ("certified nan", lambda: ss.certified_prefixes(X, [np.nan]), ["grid[0]", "nan", "finite"]),
    ("certified negative", lambda: ss.certified_prefixes(X, [-0.1]), ["grid", "> 0", "-0.1"]),
    ("certified core 100", lambda: ss.certified_prefixes(X, [0.1], core=100), ["core", "1..26", "100"]),
    ("layered nan", lambda: ss.layered_prefixes(X, [np.nan]), ["grid[0]", "nan"]),
    ("layered step 0", lambda: ss.layered_prefixes(X, [0.1], step=0), ["step", ">= 1", "0"]),
    ("layered empty grid", lambda: ss.layered_prefixes(X, []), ["grid", "non-empty", "[]"]),
    ("layered_bound budget 0", lambda: ss.layered_bound(X[0], 4, 2, budget=0), ["budget", ">= 1", "0"]),
    ("prefix max_nonzero -1", lambda: ss.prefix_sup_errors(X, -1), ["max_nonzero", "1..26", "-1"]),
    ("prefix stop nan", lambda: ss.prefix_sup_errors(X, 3, stop=np.nan), ["stop", ">= 0", "nan"]),
    ("first_hits eps -1", lambda: ss.first_hits(np.ones((1, 3)), -1), ["eps", "1 dimension"]),
    ("compact_nonzero 1-D", lambda: ss.compact_nonzero([1.0, 0.0]), ["samples", "2 dimensions", "(2,)"]),
    (
        "cpsat sample below grid",
        lambda: ss.solve([[1e-20, 2e-20]], [3e-20], method="cpsat"),
        ["problem 0", "1e-20", "resolution", "method='exact'"],
    ),
    (
        "cpsat small sample beside 1",
        lambda: ss.solve([[1, 1e-17, 1e-17]], [2e-17], method="cpsat"),
        ["1e-17", "resolution", "method='exact'"],
    ),
    (
        "cpsat eps below grid",
        lambda: ss.solve([[0.1, 0.2]], [0.3], eps=1e-300, method="cpsat"),
        ["eps = 1e-300", "resolution", "method='exact'"],
    ),
    (
        "milp below tolerance",
        lambda: ss.solve([[1e-20, 2e-20]], [3e-20], method="milp"),
        ["problem 0", "3e-20", "tolerance", "method='exact'"],
    ),
    # bounds
    ("trials_needed delta 0", lambda: bounds.trials_needed(0, 0.05), ["delta", "(0, 1)", "0"]),
    ("trials_needed alpha 1", lambda: bounds.trials_needed(0.1, 1.0), ["alpha", "(0, 1)", "1.0"]),
    ("clopper alpha nan", lambda: bounds.clopper_pearson_upper(0, 10, np.nan), ["alpha", "(0, 1)", "nan"]),
    ("clopper alpha 0", lambda: bounds.clopper_pearson_upper(0, 10, 0), ["alpha", "(0, 1)", "0"]),
    ("clopper failures 1.5", lambda: bounds.clopper_pearson_upper(1.5, 10, 0.05), ["failures", "0..10", "1.5"]),
    ("smallest_m negative", lambda: bounds.smallest_m([-5.0] * 100, 0.5, 0.05), ["m_star", ">= 0", "-5.0"]),
    ("fit_separable lengths", lambda: bounds.fit_separable(E4[:3], D4, [1, 2, 3, 4]), ["same length", "3, 4, 4"]),
    ("fit_separable nan", lambda: bounds.fit_separable(E4, D4, [1, 2, np.nan, 4]), ["m[2]", "nan", "finite"]),
    ("fit_one_constant lengths", lambda: bounds.fit_one_constant(E4[:2], D4[:3], [1, 2]), ["same length"]),
    ("calibration directory", lambda: bounds.calibration("/tmp"), ["/tmp", "directory"]),
    ("calibration binary", lambda: bounds.calibration(__import__("sys").executable), ["not a text (JSON) file"]),
    ("network_width abc dict", lambda: bounds.network_width(LAYER, 0.1, abc=dict(a=1, b=1, c=1)), ["abc", "(a, b, c)"]),
    ("subset_sum_eps underflow", lambda: bounds.subset_sum_eps(10**6, 1.0), ["eps''", "m = 1000000", "underflow"]),
]


@pytest.mark.parametrize("name, call, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused(name, call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_m_floor_subnormal_eps():
    assert bounds.m_floor(5e-324, 0.1) >= 1074  # needs log2(1/eps'') = 1074 signs at least; was OverflowError


def test_compact_nonzero_takes_lists():
    values, cols, nnz = ss.compact_nonzero([[0.0, 1.0]])
    assert values.tolist() == [[1.0, 0.0]] and cols.tolist() == [[1, 0]] and nnz.tolist() == [1]


@pytest.mark.parametrize("a, b", [("(1 2)", "(2 1)"), ("(1 2 3)", "(3 1 2)"), ("(1 2),(1 2 3)", "S")])
def test_same_subgroup_spelled_differently_is_compatible(a, b):
    groups.check_compatible({**PERM, "subgroup": a}, {**PERM, "subgroup": b})


def test_different_subgroups_stay_incompatible():
    with pytest.raises(ValueError, match="different groups"):
        groups.check_compatible({**PERM, "subgroup": "(1 2)"}, {**PERM, "subgroup": "(1 3)"})
