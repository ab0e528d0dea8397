"""Training targets in NumPy: gradients against central finite differences (float64),
losses, Adam, rescaling, and the message-passing basis {I, A}."""

from __future__ import annotations

import numpy as np
import pytest

from constructions import Layer, basis_from_specs, forward, op_norm
from constructions.mpnn import GraphBasis, bind_graphs, graph_equivariance_error, permute_graphs
from constructions.train import (
    Adam,
    init_network,
    logits_of,
    loss_and_grad,
    minibatches,
    rescale_network,
    softmax_cross_entropy,
    squared_loss,
    train,
)


def lattice(field, group="C4", grid=4):
    return {"family": "steerable", "grid": grid, "kernel": 3, "group": group, "field": field}


def perm(order, n=5):
    return {"family": "perm", "n": n, "order": order}


def random_graphs(rng, count, n):
    A = (rng.random((count, n, n)) < 0.4).astype(float)
    A = np.triu(A, 1)
    return A + A.transpose(0, 2, 1)


def steerable_net(rng, group="C4"):
    fields = ["trivial", "regular", "regular", "point", "point"]
    bases = [basis_from_specs(lattice(a, group), lattice(b, group)) for a, b in zip(fields, fields[1:])]
    return init_network(bases, [1, 3, 3, 4, 3], rng)


def ign_net(rng, n=5):
    bases = [
        basis_from_specs(perm(2, n), perm(2, n)),
        basis_from_specs(perm(2, n), perm(0, n)),
        basis_from_specs(perm(0, n), perm(0, n)),
    ]
    return init_network(bases, [2, 3, 3, 3], rng)


def mpnn_net(rng, A):
    n = A.shape[1]
    g = GraphBasis(A)
    bases = [g, g, basis_from_specs(perm(1, n), perm(0, n)), basis_from_specs(perm(0, n), perm(0, n))]
    return init_network(bases, [1, 4, 4, 4, 3], rng)


def numeric_grad(layers, x, y, loss, i, idx, h=1e-6):
    def value(delta):
        c = layers[i].coeffs.copy()
        c[idx] += delta
        net = list(layers)
        net[i] = Layer(layers[i].basis, c)
        return loss_and_grad(net, x, y, loss)[0]

    return (value(h) - value(-h)) / (2 * h)


def check_gradients(layers, x, y, loss="cross_entropy", per_layer=6, seed=0):
    rng = np.random.default_rng(seed)
    _, grads, _ = loss_and_grad(layers, x, y, loss)
    worst = 0.0
    for i, layer in enumerate(layers):
        assert grads[i].shape == layer.coeffs.shape
        flat = rng.choice(layer.coeffs.size, size=min(per_layer, layer.coeffs.size), replace=False)
        for f in flat:
            idx = np.unravel_index(f, layer.coeffs.shape)
            num = numeric_grad(layers, x, y, loss, i, idx)
            worst = max(worst, abs(num - grads[i][idx]) / max(1e-6, abs(num) + abs(grads[i][idx])))
    assert worst < 1e-5, f"relative gradient error {worst:.2e}"


# ---------------------------------------------------------------------- gradients
def test_gradients_steerable_cnn_match_finite_differences():
    rng = np.random.default_rng(1)
    layers = steerable_net(rng)
    x = rng.standard_normal((3, 1, 16))
    check_gradients(layers, x, np.array([0, 2, 1]))


def test_gradients_dihedral_cnn_squared_loss():
    rng = np.random.default_rng(2)
    layers = steerable_net(rng, "D4")
    x = rng.standard_normal((2, 1, 16))
    check_gradients(layers, x, rng.standard_normal((2, 3)), loss="squared")


def test_gradients_ign_match_finite_differences():
    rng = np.random.default_rng(3)
    layers = ign_net(rng)
    x = rng.standard_normal((3, 2, 25))
    check_gradients(layers, x, np.array([1, 0, 2]))


def test_gradients_mpnn_match_finite_differences():
    rng = np.random.default_rng(4)
    A = random_graphs(rng, 3, 6)
    layers = mpnn_net(rng, A)
    x = rng.standard_normal((3, 1, 6))
    check_gradients(layers, x, np.array([2, 2, 0]))


def test_gradients_mlp_match_finite_differences():
    rng = np.random.default_rng(5)
    b = basis_from_specs({"family": "mlp"}, {"family": "mlp"})
    layers = init_network([b, b, b], [4, 5, 5, 3], rng)
    x = rng.standard_normal((4, 4, 1))
    check_gradients(layers, x, np.array([0, 1, 2, 1]))
    check_gradients(layers, x, rng.standard_normal((4, 3)), loss="squared")


def test_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(6)
    z = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    value, g = softmax_cross_entropy(z, y)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(4), y])), rel=1e-12)
    h = 1e-6
    for i, j in [(0, 0), (1, 2), (3, 1)]:
        zp, zm = z.copy(), z.copy()
        zp[i, j] += h
        zm[i, j] -= h
        num = (softmax_cross_entropy(zp, y)[0] - softmax_cross_entropy(zm, y)[0]) / (2 * h)
        assert num == pytest.approx(g[i, j], abs=1e-8)
    # huge logits do not overflow
    value, _ = softmax_cross_entropy(np.array([[1e4, 0.0]]), np.array([0]))
    assert value == pytest.approx(0.0, abs=1e-12)


def test_squared_loss_gradient():
    rng = np.random.default_rng(7)
    p, t = rng.standard_normal((3, 2, 1)), rng.standard_normal((3, 2))
    value, g = squared_loss(p, t)
    assert value == pytest.approx(0.5 * np.mean(np.sum((p[:, :, 0] - t) ** 2, 1)))
    assert g.shape == p.shape


def test_loss_errors_are_clear():
    with pytest.raises(ValueError, match="labels must be in"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="unknown loss"):
        rng = np.random.default_rng(0)
        layers = steerable_net(rng)
        loss_and_grad(layers, rng.standard_normal((1, 1, 16)), np.array([0]), loss="hinge")
    rng = np.random.default_rng(0)
    b = basis_from_specs(lattice("trivial"), lattice("regular"))
    with pytest.raises(ValueError, match="one-point fields"):
        logits_of(forward([Layer(b, np.ones((1, 2, b.dim)))], np.ones((1, 1, 16))))


# ---------------------------------------------------------------------- training
def test_training_reduces_the_loss_on_a_tiny_problem():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((48, 1, 16))
    y = (x[:, 0, :8].sum(1) > x[:, 0, 8:].sum(1)).astype(int)  # not invariant, but learnable in part
    layers = steerable_net(rng, "C1")
    assert np.abs(forward(layers, x)).max() > 0
    before = loss_and_grad(layers, x, y)[0]
    res = train(layers, minibatches(x, y, 16), epochs=30, lr=0.05, seed=0)
    after = loss_and_grad(res.layers, x, y)[0]
    assert after < 0.8 * before
    assert res.losses[-1] < res.losses[0]


def test_training_is_deterministic_given_the_seed():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((20, 2, 25))
    y = rng.integers(0, 3, 20)
    layers = ign_net(rng)
    a = train(layers, minibatches(x, y, 8), epochs=2, lr=0.01, seed=3)
    b = train(layers, minibatches(x, y, 8), epochs=2, lr=0.01, seed=3)
    c = train(layers, minibatches(x, y, 8), epochs=2, lr=0.01, seed=4)
    assert all(np.array_equal(p.coeffs, q.coeffs) for p, q in zip(a.layers, b.layers))
    assert not all(np.array_equal(p.coeffs, q.coeffs) for p, q in zip(a.layers, c.layers))


def test_training_with_bind_uses_batch_graphs():
    rng = np.random.default_rng(10)
    A = random_graphs(rng, 24, 6)
    x = np.ones((24, 1, 6))
    y = (A.sum((1, 2)) > np.median(A.sum((1, 2)))).astype(int)
    layers = mpnn_net(rng, A)
    res = train(
        layers, minibatches(x, y, 8), epochs=40, lr=0.05, seed=0, bind=lambda net, idx: bind_graphs(net, A[idx])
    )
    assert res.losses[-1] < 0.7 * res.losses[0]


def test_adam_minimises_a_quadratic():
    opt = Adam(lr=0.1)
    p = [np.array([3.0, -2.0])]
    for _ in range(300):
        p = opt.step(p, [2 * p[0]])
    assert np.all(np.abs(p[0]) < 1e-2)


def test_bad_training_arguments():
    rng = np.random.default_rng(0)
    layers = steerable_net(rng)
    x, y = rng.standard_normal((4, 1, 16)), np.zeros(4, int)
    with pytest.raises(ValueError, match="batch size"):
        minibatches(x, y, 0)
    with pytest.raises(ValueError, match="differ in length"):
        minibatches(x, y[:3], 2)
    with pytest.raises(ValueError, match="epochs"):
        train(layers, minibatches(x, y, 2), epochs=0)
    with pytest.raises(ValueError, match=r"features must have shape"):
        train(layers, minibatches(rng.standard_normal((4, 1, 9)), y, 2), epochs=1)


# ---------------------------------------------------------------------- rescaling
def test_rescaling_gives_unit_norms_and_scales_logits_by_the_product():
    rng = np.random.default_rng(11)
    layers = steerable_net(rng)
    x = rng.standard_normal((5, 1, 16))
    scaled, factors, logit_factor = rescale_network(layers)
    for layer in scaled:
        assert op_norm(layer) <= 1.0
        assert op_norm(layer) == pytest.approx(1.0, rel=1e-6)
    assert logit_factor == pytest.approx(np.prod(factors))
    np.testing.assert_allclose(forward(scaled, x), logit_factor * forward(layers, x), rtol=1e-10, atol=1e-14)
    assert np.array_equal(np.argmax(forward(scaled, x)[:, :, 0], 1), np.argmax(forward(layers, x)[:, :, 0], 1))


def test_fan_in_counts_row_support():
    b = basis_from_specs(lattice("regular"), lattice("point"))
    assert b.fan_in() == 4 * 16  # global readout of a C4 regular field on the 4x4 torus
    b = basis_from_specs(lattice("trivial"), lattice("trivial"))
    assert b.fan_in() == 9


# ---------------------------------------------------------------------- message passing basis
def test_graph_basis_matches_dense_and_its_transpose():
    rng = np.random.default_rng(12)
    A = random_graphs(rng, 1, 7)
    g = GraphBasis(A)
    c = rng.standard_normal((2, 3, 2))
    x = rng.standard_normal((1, 2, 7))
    W = g.dense(c)
    np.testing.assert_allclose(g.apply(c, x).ravel(), W @ x.ravel(), atol=1e-12)
    gy = rng.standard_normal((1, 3, 7))
    np.testing.assert_allclose(g.apply_transpose(c, gy).ravel(), W.T @ gy.ravel(), atol=1e-12)
    # coeff_grad = d <gy, W x> / d c
    grad = g.coeff_grad(x, gy)
    for idx in [(0, 0, 0), (1, 2, 1), (0, 1, 1)]:
        e = np.zeros_like(c)
        e[idx] = 1
        assert grad[idx] == pytest.approx(float(gy.ravel() @ g.dense(e) @ x.ravel()), abs=1e-12)


def test_graph_basis_norms_are_exact():
    rng = np.random.default_rng(13)
    A = random_graphs(rng, 4, 6)
    g = GraphBasis(A)
    c = rng.standard_normal((3, 2, 2))
    dense = max(np.linalg.norm(GraphBasis(A[t]).dense(c), 2) for t in range(4))
    assert g.op_norm(c) == pytest.approx(dense, rel=1e-10)
    assert g.basis_norm() == pytest.approx(max(np.linalg.norm(np.eye(6) + A[t], 2) for t in range(4)), rel=1e-10)
    layer = Layer(GraphBasis(A[:1]), c)
    assert g.subset([0]).op_norm(c) == pytest.approx(np.linalg.norm(layer.dense(), 2), rel=1e-10)
    assert op_norm(layer) == g.subset([0]).op_norm(c)  # the engine asks the basis


def test_graph_basis_structure_for_the_construction():
    g = GraphBasis(np.zeros((1, 4, 4)))
    assert list(g.input_orbit()) == [0, 0] and list(g.diagonal_orbits()) == [0]
    assert g.hidden_basis() is g


def test_mpnn_is_invariant_under_joint_node_permutations():
    rng = np.random.default_rng(14)
    A = random_graphs(rng, 5, 7)
    layers = mpnn_net(rng, A)
    x = rng.standard_normal((5, 1, 7))
    assert np.abs(forward(layers, x)).max() > 0
    err = graph_equivariance_error(lambda xx, AA: forward(bind_graphs(layers, AA), xx), x, A, rng)
    assert err < 1e-12
    # node-level layer: equivariant (outputs permuted with the nodes)
    err = graph_equivariance_error(lambda xx, AA: forward(bind_graphs(layers[:2], AA), xx), x, A, rng)
    assert err < 1e-12
    # permuting only the features (not A) is NOT a symmetry: the check must see it
    perms = np.argsort(rng.random((5, 7)), axis=1)
    xp, _ = permute_graphs(x, A, perms)
    assert np.abs(forward(layers, xp) - forward(layers, x)).max() > 1e-6


def test_graph_basis_errors():
    with pytest.raises(ValueError, match="symmetric"):
        GraphBasis(np.triu(np.ones((3, 3)), 1))
    g = GraphBasis(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="bound to 2 graphs"):
        g.apply(np.ones((1, 1, 2)), np.ones((3, 1, 4)))
    with pytest.raises(ValueError, match="one graph"):
        g.dense(np.ones((1, 1, 2)))


def test_graph_basis_perron_norms_match_the_engine():
    from constructions import basis_norm, perron_norm

    rng = np.random.default_rng(15)
    A = random_graphs(rng, 3, 6)
    g = GraphBasis(A)
    assert basis_norm(g) == pytest.approx(g.basis_norm(), rel=1e-12)
    w = np.abs(rng.standard_normal((2, 3, 2)))
    assert perron_norm(g, w) == pytest.approx(g.op_norm(w), rel=1e-10)
