"""Group actions: exactness, closure, orders, bad input."""

import numpy as np
import pytest

from constructions import Action, closure, lattice_action, orbits, random_elements, tensor_action
from constructions.actions import inverse, joint
from constructions.lattice import EXACT_GROUPS, kernel_offsets
from groups import parse_cycles, point_group


@pytest.mark.parametrize(
    "group,order",
    [("C1", 1), ("C2", 2), ("C4", 4), ("D1", 2), ("D2", 4), ("D4", 8), ("C3", 3), ("C6", 6), ("D3", 6), ("D6", 12)],
)
def test_point_groups_are_groups_of_lattice_automorphisms(group, order):
    elements = point_group(group).matrices
    assert elements.shape == (order, 2, 2)
    assert len({e.tobytes() for e in elements}) == order  # distinct
    keys = {e.tobytes() for e in elements}
    for a in elements:  # closed under products, integer, det +-1 (lattice automorphisms)
        assert round(abs(np.linalg.det(a))) == 1
        for b in elements:
            assert (a @ b).tobytes() in keys


@pytest.mark.parametrize("group", EXACT_GROUPS)
def test_point_groups_are_isometries_of_their_lattice(group):
    # Gram matrix of the lattice basis: square I, hexagonal [[1, 1/2], [1/2, 1]]
    gram = np.array([[1, 0.5], [0.5, 1]]) if group in ("C3", "C6", "D3", "D6") else np.eye(2)
    for h in point_group(group).matrices:
        assert np.allclose(h.T @ gram @ h, gram)


@pytest.mark.parametrize("group", ["C4", "D4", "C6", "D6", "D3", "C2"])
def test_lattice_group_order_is_m2_times_H(group):
    m = 3
    act = lattice_action(m, group, "regular")
    assert closure(act).shape[0] == m * m * point_group(group).order == act.order


@pytest.mark.parametrize("sub,order", [("S", 120), ("A", 60), ("C", 5), ("D", 10)])
def test_named_subgroups_of_S5_have_the_right_order(sub, order):
    assert closure(tensor_action(5, 1, sub)).shape[0] == order


def test_An_for_even_n():
    assert closure(tensor_action(4, 1, "A")).shape[0] == 12
    assert closure(tensor_action(6, 1, "A")).shape[0] == 360


def test_cycle_notation():
    gens = parse_cycles("(1 2)(3 4),(1 2 3)", 4)
    assert gens.tolist() == [[1, 0, 3, 2], [1, 2, 0, 3]]
    assert closure(tensor_action(4, 1, "(1 2)(3 4),(1 2 3)")).shape[0] == 12  # A_4
    with pytest.raises(ValueError, match="outside 1..4"):
        parse_cycles("(1 5)", 4)
    with pytest.raises(ValueError, match="appears twice"):
        parse_cycles("(1 2)(2 3)", 4)
    with pytest.raises(ValueError, match="cycle notation"):
        parse_cycles("1 2", 4)


def test_tensor_action_is_the_induced_action():
    act = tensor_action(3, 2, "S")
    g = act.perms[1]  # the 3-cycle i -> i + 1 on both indices
    for i in range(3):
        for j in range(3):
            assert g[i * 3 + j] == ((i + 1) % 3) * 3 + (j + 1) % 3


def test_closure_cap_is_a_clear_error():
    with pytest.raises(ValueError, match="more than 100 elements"):
        closure(tensor_action(6, 1, "S"), cap=100)


def test_random_elements_are_group_elements():
    act = lattice_action(4, "D4", "regular")
    all_elements = {e.tobytes() for e in closure(act)}
    for g in random_elements(act, 20, np.random.default_rng(0)):
        assert g.tobytes() in all_elements


def test_orbits_of_tensor_action_are_equality_patterns():
    labels = orbits(tensor_action(4, 2, "S"))
    idx = np.indices((4, 4)).reshape(2, -1)
    assert np.array_equal(labels, (idx[0] != idx[1]).astype(int))


def test_joint_and_inverse():
    a = lattice_action(3, "C4", "regular")
    j = joint(a, a)
    assert j.size == 2 * a.size
    p = a.perms[2]
    assert np.array_equal(p[inverse(p)], np.arange(a.size))


@pytest.mark.parametrize("bad", ["C8", "C5", "D8", "C12", "X4", "c4"])
def test_non_exact_rotations_are_clear_errors(bad):
    with pytest.raises(ValueError, match="C1, C2, C4, D1, D2, D4"):
        lattice_action(8, bad, "regular")


def test_bad_sizes_are_clear_errors():
    with pytest.raises(ValueError, match="grid must be an integer >= 1, got -2"):
        lattice_action(-2, "C4", "regular")
    with pytest.raises(ValueError, match="kernel size 9 is larger than the grid 8"):
        kernel_offsets("C4", 9, 8)
    with pytest.raises(ValueError, match="even"):
        kernel_offsets("C4", 4, 8)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        tensor_action(0, 1)
    with pytest.raises(ValueError, match=r"order must be an integer in 0\.\.6, got -1"):
        tensor_action(3, -1)
    with pytest.raises(ValueError, match="unknown field type"):
        lattice_action(4, "C4", "irrep")
    with pytest.raises(ValueError, match="d = 3 must divide N = 4"):
        lattice_action(4, "C4", "quotient:C3")
    with pytest.raises(ValueError, match="no reflections"):
        lattice_action(4, "C4", "quotient:D1")
    with pytest.raises(ValueError, match="not a permutation"):
        Action("g", np.array([[0, 0, 1]]))


def test_hex_kernel_is_a_hex_ball():
    assert kernel_offsets("C6", 3, 5).shape[0] == 7
    assert kernel_offsets("D6", 5, 7).shape[0] == 19
    assert kernel_offsets("C1", 2, 4).shape[0] == 4
