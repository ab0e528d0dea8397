"""Experiment 3: a message-passing GNN on random graphs (``slt experiment mpnn``).

Same graphs and labels as the 2-IGN experiment (``data.graph_data``: 8..12 nodes, triangle
classes). Input: one node feature channel (1 on every node; graphs padded to 12 nodes with
isolated, zero-feature nodes, which a bias-free message-passing network keeps at zero),
unit norm. Layers x -> W1 x + W2 A x use the graph-dependent basis {I, A}
(``constructions.mpnn.GraphBasis``); then a sum readout over the nodes (the S_n orbital
basis 1 -> 0) and an MLP head.

The basis depends on the input graph, so its norms do too: ||B|| = max over the data set's
graphs of ||I + A||_op = 1 + lambda_max(A), and ||W_i||_op (rescaling) is a max over the
data set's graphs as well (exact, from A's eigenvalues). The bound therefore holds for the
graphs of this data set (train and test), not for every graph.
"""

from __future__ import annotations

import numpy as np

from ..progress import note, progress_bar
from .common import make_config, pruning_study, relative_error, training_record
from .data import graph_data, mpnn_inputs
from .report import finish

CONFIGS = {
    "full": {
        "graphs": 1200,
        "n_range": (8, 12),
        "hidden": [16, 16, 16],
        "head": [32],
        "epochs": 60,
        "lr": 0.01,
        "batch": 32,
        "m_sweep": [4, 8, 16, 24, 32, 48, 64],
        "m_cap": 320,
    },
    "quick": {
        "graphs": 400,
        "n_range": (8, 12),
        "hidden": [8, 8],
        "head": [16],
        "epochs": 30,
        "lr": 0.02,
        "batch": 32,
        "m_sweep": [8, 16, 32, 48],
        "m_cap": 320,
    },
}
CLASSES = 3
CHUNK = 256


class MPNNEvaluator:
    def __init__(self, x, A, x_perm, A_perm):
        self.x, self.A, self.x_perm, self.A_perm = x, A, x_perm, A_perm

    def _logits(self, layers, x, A, split):
        from constructions import bind_graphs, forward, logits_of, split_input

        out = []
        for s in range(0, x.shape[0], CHUNK):
            xb = x[s : s + CHUNK]
            out.append(logits_of(forward(bind_graphs(layers, A[s : s + CHUNK]), split_input(xb) if split else xb)))
        return np.concatenate(out)

    def logits(self, layers, split=False):
        return self._logits(layers, self.x, self.A, split)

    def invariance(self, layers, split=False, scale=0.0) -> float:
        """Max relative change of the test logits when every test graph is relabelled."""
        return relative_error(self._logits(layers, self.x_perm, self.A_perm, split), self.logits(layers, split), scale)

    def equivariance(self, layers, rng, split=False) -> float:
        """Random node features on 8 test graphs, 8 random joint relabellings of nodes and A."""
        from constructions import bind_graphs, forward, graph_equivariance_error, split_input

        n_in = layers[0].n_in // 2 if split else layers[0].n_in
        x = rng.standard_normal((8, n_in, self.A.shape[1]))
        fn = lambda xx, AA: forward(bind_graphs(layers, AA), split_input(xx) if split else xx)
        return graph_equivariance_error(fn, x, self.A[:8], rng)

    def honest_equivariance(self, layers, rng) -> float:
        from constructions import bind_graphs, forward, graph_equivariance_error

        x = rng.standard_normal((1, layers[0].n_in, self.A.shape[1]))
        return graph_equivariance_error(
            lambda xx, AA: forward(bind_graphs(layers, AA), xx), x, self.A[:1], rng, count=4
        )

    def collapse_check(self, result, count: int = 2, scale: float = 0.0) -> float:
        """Collapsed evaluation vs the honest 2l-layer pruned network on ``count`` test graphs."""
        from constructions import bind_graphs, forward, split_input

        A, x = self.A[:count], self.x[:count]
        return relative_error(
            forward(bind_graphs(result.collapsed, A), split_input(x)), forward(bind_graphs(result.pruned, A), x), scale
        )


def run(quick: bool = False, seed: int = 0, out=None, progress: bool = False, config: dict | None = None) -> dict:
    cfg = make_config(CONFIGS, quick, config)
    with progress_bar(2 + len(cfg["m_sweep"]), "slt experiment mpnn", enabled=progress) as bar:  # training, pruning
        return _run(cfg, quick, seed, out, bar)


def _run(cfg: dict, quick: bool, seed: int, out, bar) -> dict:
    from constructions import (
        GraphBasis,
        basis_norm,
        bind_graphs,
        data_init,
        hidden_basis,
        init_network,
        minibatches,
        partition_basis,
        permute_graphs,
        rescale_network,
        train_network,
    )

    data = graph_data(cfg["graphs"], seed, n_range=tuple(cfg["n_range"]))
    n_max = int(data["n_max"])
    A, x = mpnn_inputs(data["adjacency"], n_max)
    y, tr, te = data["y"], data["train"], data["test"]
    note(
        bar,
        f"mpnn: {tr.size} training and {te.size} test graphs (padded to {n_max} nodes), "
        f"classes: {np.bincount(y, minlength=CLASSES).tolist()}",
    )
    everything = GraphBasis(A)  # all graphs of the data set: norms are maxima over it
    channels = [1] + cfg["hidden"] + cfg["head"] + [CLASSES]
    bases = (
        [everything] * len(cfg["hidden"])
        + [partition_basis(n_max, 1, 0)]
        + [partition_basis(n_max, 0, 0)] * len(cfg["head"])
    )
    rng = np.random.default_rng([seed, 5])
    layers = init_network(bases, channels, rng)
    scale = np.sqrt(n_max)  # RMS ~1 per node of the unit-norm input (predictions are scale-free)
    start = tr[:128]
    layers = bind_graphs(data_init(bind_graphs(layers, A[start]), x[start] * scale), A)
    bar.set_postfix_str("message-passing GNN: training")
    res = train_network(
        layers,
        minibatches(x[tr] * scale, y[tr], cfg["batch"]),
        epochs=cfg["epochs"],
        lr=cfg["lr"],
        seed=int(rng.integers(2**31)),
        bind=lambda net, idx: bind_graphs(net, A[tr[idx]]),
        probe=(np.arange(start.size), x[start] * scale),
    )
    target, factors, logit_factor = rescale_network(bind_graphs(res.layers, A))
    bar.update()
    note(bar, f"  trained in {res.seconds:.1f} s, final loss {res.losses[-1]:.4f}, logit factor {logit_factor:.3e}")
    perms = np.argsort(np.random.default_rng([seed, 9]).random((te.size, n_max)), axis=1)
    x_perm, A_perm = permute_graphs(x[te], A[te], perms)
    ev = MPNNEvaluator(x[te], A[te], x_perm, A_perm)
    train_ev = MPNNEvaluator(x[tr], A[tr], x[tr], A[tr])
    train_acc = float(np.mean(np.argmax(train_ev.logits(target), 1) == y[tr]))
    norms = [basis_norm(L.basis) for L in target]
    hidden = [hidden_basis(L.basis).dim for L in target]
    study = pruning_study(
        "MPNN",
        target,
        ev,
        y[te],
        hidden,
        norms,
        seed,
        cfg["m_sweep"],
        cfg["m_cap"],
        bar,
        norm_note=f"||B|| = max over the {len(A)} graphs of the data set of ||I + A||_op "
        f"= {everything.basis_norm():.4g}; ||W_i||_op likewise a max over them",
    )
    model = {
        "model": "MPNN",
        "channels": channels,
        "basis_dims": [int(b.dim) for b in bases],
        **training_record(res, factors, logit_factor),
        "accuracy_train": train_acc,
        "accuracy_test": study["target_accuracy"],
        "basis_norm_I_plus_A": everything.basis_norm(),
    }
    result = {
        "experiment": "mpnn",
        "seed": seed,
        "quick": quick,
        "config": cfg,
        "data": {
            "graphs": int(len(A)),
            "train": int(tr.size),
            "test": int(te.size),
            "padded_to": n_max,
            "label": "number of triangles trace(A^3)/6, classes <= 3, 4..10, >= 11",
            "class_counts": np.bincount(y, minlength=CLASSES).tolist(),
        },
        "models": [model],
    }
    return finish("mpnn", result, [study], out, "Message-passing GNN on random graphs (triangle classes)")
