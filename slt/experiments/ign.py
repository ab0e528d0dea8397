"""Experiment 2: a 2-order invariant graph network (2-IGN) on random graphs (``slt experiment ign``).

Data: random graphs with 8..12 nodes from four generators (``data.graph_data``), labelled
exactly by their number of triangles, binned into 3 classes. Input per graph: the 2-tensor
channels [A, I] (unit norm). S_n acts on both indices.

Target (bias-free): 2 -> 2 layers (the 15 partition maps of Maron et al.), an invariant
readout 2 -> 0 (2 maps: sum of the diagonal, sum of the off-diagonal), an MLP head 0 -> 0.
The coefficients of a partition basis do not depend on n (n >= 4), so ONE network runs on
every graph size: each size gets the same coefficients on its own basis (``rebase``). The
theorem's quantities are maxima over the sizes in the data: ||W_i||_op (rescaling),
||B_i|| (the bound). The pruned network is evaluated the same way, size by size.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..progress import note, progress_bar
from .common import honest_equivariance, make_config, pruning_study, relative_error, training_record
from .data import graph_data, ign_inputs
from .report import finish

CONFIGS = {
    "full": {
        "graphs": 1200,
        "n_range": (8, 12),
        "hidden": [32],
        "head": [32],
        "epochs": 40,
        "lr": 0.01,
        "batch": 32,
        "m_sweep": [4, 8, 16, 24, 32, 48],
        "m_cap": 320,
    },
    "quick": {
        "graphs": 400,
        "n_range": (8, 12),
        "hidden": [8],
        "head": [16],
        "epochs": 15,
        "lr": 0.02,
        "batch": 32,
        "m_sweep": [8, 16, 32, 48],
        "m_cap": 320,
    },
}
CLASSES = 3


@cache
def _basis(n: int, k: int, l: int):
    from constructions import partition_basis

    return partition_basis(n, k, l)


def rebase(layers, n: int):
    """The same coefficients on the partition bases of graphs with n nodes."""
    from constructions import Layer

    out = []
    for L in layers:
        b = _basis(n, L.basis.k, L.basis.l)
        if b.parts != L.basis.parts:
            raise ValueError(
                f"n = {n} is too small for the {L.basis.k} -> {L.basis.l} basis (needs n >= {L.basis.k + L.basis.l})"
            )
        out.append(Layer(b, L.coeffs))
    return out


class GraphSet:
    """Graph inputs grouped by size: x[n] (graphs with n nodes, 2, n*n) and their positions."""

    def __init__(self, inputs, sizes, idx):
        idx = np.asarray(idx)
        self.size = idx.size
        self.groups = {}
        for n in np.unique(sizes[idx]):
            pos = np.nonzero(sizes[idx] == n)[0]
            self.groups[int(n)] = (pos, np.stack([inputs[i] for i in idx[pos]]))

    def map(self, fn, width: int) -> np.ndarray:
        out = np.zeros((self.size, width))
        for n, (pos, x) in self.groups.items():
            out[pos] = fn(n, x)
        return out


def permuted_inputs(graphs, idx, rng):
    """Inputs of the graphs idx after a random relabelling of the nodes of each."""
    out = []
    for i in idx:
        A = graphs[i]
        p = rng.permutation(A.shape[0])
        out.append(A[np.ix_(p, p)])
    return ign_inputs(out)


class IGNEvaluator:
    def __init__(self, test: GraphSet, test_permuted: GraphSet, home: int):
        self.test, self.test_permuted, self.home = test, test_permuted, home

    def _logits(self, layers, graphs: GraphSet, split):
        from constructions import forward, logits_of, split_input

        width = layers[-1].n_out
        return graphs.map(lambda n, x: logits_of(forward(rebase(layers, n), split_input(x) if split else x)), width)

    def logits(self, layers, split=False):
        return self._logits(layers, self.test, split)

    def invariance(self, layers, split=False, scale=0.0) -> float:
        """Max relative change of the test logits when every test graph is relabelled."""
        return relative_error(self._logits(layers, self.test_permuted, split), self.logits(layers, split), scale)

    def equivariance(self, layers, rng, split=False) -> float:
        from .common import engine_equivariance

        return engine_equivariance(rebase(layers, self.home), rng, split)

    def honest_equivariance(self, layers, rng) -> float:
        return honest_equivariance(rebase(layers, self.home), rng)

    def collapse_check(self, result, count: int = 2, scale: float = 0.0) -> float:
        from constructions import forward, split_input

        n, (_, x) = next(iter(self.test.groups.items()))
        x = x[:count]
        return relative_error(
            forward(rebase(result.collapsed, n), split_input(x)), forward(rebase(result.pruned, n), x), scale
        )


def graph_batches(train: GraphSet, y_train, batch: int, scale=lambda n: 1.0):
    """Mini-batches of one graph size each, in a random order every epoch."""

    def source(rng):
        plan = []
        for n, (pos, x) in train.groups.items():
            order = rng.permutation(pos.size)
            plan += [(n, x, pos, order[s : s + batch]) for s in range(0, pos.size, batch)]
        for j in rng.permutation(len(plan)):
            n, x, pos, sel = plan[j]
            yield n, x[sel] * scale(n), y_train[pos[sel]]

    return source


def run(quick: bool = False, seed: int = 0, out=None, progress: bool = False, config: dict | None = None) -> dict:
    cfg = make_config(CONFIGS, quick, config)
    with progress_bar(2 + len(cfg["m_sweep"]), "slt experiment ign", enabled=progress) as bar:  # training, pruning
        return _run(cfg, quick, seed, out, bar)


def _run(cfg: dict, quick: bool, seed: int, out, bar) -> dict:
    from constructions import basis_norm, data_init, hidden_basis, init_network, op_norm, rescale_network, train_network

    data = graph_data(cfg["graphs"], seed, n_range=tuple(cfg["n_range"]))
    graphs, sizes, y = data["adjacency"], data["n"], data["y"]
    inputs = ign_inputs(graphs)
    tr, te = data["train"], data["test"]
    sizes_present = sorted(int(n) for n in np.unique(sizes))
    home = max(sizes_present)
    note(
        bar,
        f"ign: {tr.size} training and {te.size} test graphs, n = {sizes_present}, "
        f"classes (triangles <= 3, 4..10, >= 11): {np.bincount(y, minlength=CLASSES).tolist()}",
    )
    train_set, test_set = GraphSet(inputs, sizes, tr), GraphSet(inputs, sizes, te)
    test_perm = GraphSet(permuted_inputs(graphs, te, np.random.default_rng([seed, 9])), sizes[te], np.arange(te.size))

    channels = [2] + cfg["hidden"] + cfg["head"] + [CLASSES]
    bases = [_basis(home, 2, 2)] * len(cfg["hidden"]) + [_basis(home, 2, 0)] + [_basis(home, 0, 0)] * len(cfg["head"])
    rng = np.random.default_rng([seed, 5])
    layers = init_network(bases, channels, rng)
    n0, (pos0, x0) = max(train_set.groups.items(), key=lambda item: item[1][0].size)
    scale = lambda n: n  # RMS 1 per entry of the unit-norm input (predictions are scale-free)
    layers = rebase(data_init(rebase(layers, n0), x0[:128] * scale(n0)), home)
    bar.set_postfix_str("2-IGN: training")
    res = train_network(
        layers,
        graph_batches(train_set, y[tr], cfg["batch"], scale),
        epochs=cfg["epochs"],
        lr=cfg["lr"],
        seed=int(rng.integers(2**31)),
        bind=lambda net, n: rebase(net, n),
        probe=(n0, x0[:128] * scale(n0)),
    )
    max_norm = lambda L: max(op_norm(rebase([L], n)[0]) for n in sizes_present)
    target, factors, logit_factor = rescale_network(res.layers, norm=max_norm)
    bar.update()
    note(bar, f"  trained in {res.seconds:.1f} s, final loss {res.losses[-1]:.4f}, logit factor {logit_factor:.3e}")
    ev = IGNEvaluator(test_set, test_perm, home)
    train_acc = float(np.mean(np.argmax(ev._logits(target, train_set, False), 1) == y[tr]))
    norms = [max(basis_norm(_basis(n, L.basis.k, L.basis.l)) for n in sizes_present) for L in target]
    hidden = [hidden_basis(L.basis).dim for L in target]
    study = pruning_study(
        "2-IGN",
        target,
        ev,
        y[te],
        hidden,
        norms,
        seed,
        cfg["m_sweep"],
        cfg["m_cap"],
        bar,
        norm_note=f"||W_i||_op and ||B_i|| are maxima over the graph sizes n = {sizes_present}",
    )
    model = {
        "model": "2-IGN",
        "channels": channels,
        "basis_dims": [int(b.dim) for b in bases],
        **training_record(res, factors, logit_factor),
        "accuracy_train": train_acc,
        "accuracy_test": study["target_accuracy"],
    }
    result = {
        "experiment": "ign",
        "seed": seed,
        "quick": quick,
        "config": cfg,
        "data": {
            "graphs": int(len(graphs)),
            "train": int(tr.size),
            "test": int(te.size),
            "sizes": sizes_present,
            "generators": sorted(set(data["generator"].tolist())),
            "label": "number of triangles trace(A^3)/6, classes <= 3, 4..10, >= 11",
            "class_counts": np.bincount(y, minlength=CLASSES).tolist(),
        },
        "models": [model],
    }
    return finish("ign", result, [study], out, "2-IGN on random graphs (triangle classes)")
