"""Message passing layers x -> W1 x + W2 A x: a basis {I, A} that depends on the input graph.

S_n acts on the nodes AND on the adjacency together ((sigma . A)[s(i), s(j)] = A[i, j]),
so for every graph the map x -> I x and x -> A x commute with the joint action: a layer
sum_{a,b} c[a,b,0] E_ba ⊗ I + c[a,b,1] E_ba ⊗ A_g is equivariant in that sense. The basis
object carries the adjacency matrices of a batch of graphs (one per input in the batch,
padded with isolated nodes to a common size n; padded nodes carry zero features and, with
no biases, stay zero, so padding does not change any output) and implements the
:class:`~constructions.protocol.Basis` protocol: ``action_in`` / ``action_out`` are S_n on
the nodes; for the pruning construction, ``input_orbit()`` (every element reads the one
orbit X = nodes), ``diagonal_orbits()`` (I is element 0) and ``hidden_basis()`` (the first
random layer of a pair uses {I, A} too).

Norms depend on the graph: ``basis_norm()`` = max over the bound graphs of ||I + A||_op
(= 1 + lambda_max(A) for a nonnegative symmetric A), ``op_norm(coeffs)`` = max over the
bound graphs of ||W_g||_op, computed exactly from the eigenvalues of A: W_g is block
diagonal in A's eigenbasis with blocks C0 + lambda C1. A bound for a data set is a max
over the data set: bind the basis to all of its graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .perm import tensor_action


def check_adjacency(adjacency) -> np.ndarray:
    """Adjacency batch (graphs, n, n), float64, symmetric, finite, zero diagonal."""
    A = np.asarray(adjacency, dtype=np.float64)
    if A.ndim == 2:
        A = A[None]
    if A.ndim != 3 or A.shape[1] != A.shape[2] or A.shape[0] < 1 or A.shape[1] < 1:
        raise ValueError(f"adjacency must have shape (graphs, n, n), got {np.shape(adjacency)}")
    if not np.all(np.isfinite(A)):
        raise ValueError("adjacency must be finite")
    if not np.array_equal(A, A.transpose(0, 2, 1)):
        raise ValueError("adjacency must be symmetric (undirected graphs)")
    return A


@dataclass(frozen=True, eq=False)
class GraphBasis:
    """The basis {I, A} of Hom between node fields, bound to a batch of graphs (module docstring)."""

    adjacency: np.ndarray  # (graphs, n, n)
    name: str = "message passing {I, A}"

    def __post_init__(self):
        object.__setattr__(self, "adjacency", check_adjacency(self.adjacency))

    dim = 2
    conv = None  # no translation structure

    @property
    def n(self) -> int:
        return int(self.adjacency.shape[1])

    @property
    def graphs(self) -> int:
        return int(self.adjacency.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return self.n, self.n

    @cached_property
    def action_in(self):
        return tensor_action(self.n, 1, "S")

    @property
    def action_out(self):
        return self.action_in

    def hidden_basis(self) -> GraphBasis:
        """The X -> X basis of the construction's first random layer: {I, A} itself."""
        return self

    def input_orbit(self) -> np.ndarray:
        """X = the nodes, one orbit; both elements read it."""
        return np.zeros(2, dtype=np.int64)

    def diagonal_orbits(self) -> np.ndarray:
        """The diagonal orbital is I (element 0)."""
        return np.zeros(1, dtype=np.int64)

    def orbit_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """One orbit of n nodes on each side."""
        return np.array([self.n]), np.array([self.n])

    @cached_property
    def counts(self) -> np.ndarray:
        """The orbit reduction used by ``norms.perron_norm``: one orbit, I counts 1 and A
        counts Lambda = max over the bound graphs of lambda_max(A). For weights w >= 0,
        ||sum w0 E ⊗ I + w1 E ⊗ A_g||_op = max_{lambda in spec(A_g)} ||W0 + lambda W1||
        = ||W0 + lambda_max(A_g) W1|| (Perron; W0, W1 >= 0), so perron_norm and
        basis_norm are exact maxima over the bound graphs. Not integer counts: A's row
        sums (degrees) vary from node to node."""
        return np.array([[[1.0, float(max(self.eigenvalues.max(), 0.0))]]])

    def with_graphs(self, adjacency) -> GraphBasis:
        return GraphBasis(adjacency, self.name)

    def subset(self, idx) -> GraphBasis:
        return GraphBasis(self.adjacency[np.asarray(idx)], self.name)

    # ------------------------------------------------------------------ engine
    def _check(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 3 or x.shape[2] != self.n:
            raise ValueError(f"node features must have shape (batch, fields, {self.n}), got {x.shape}")
        if self.graphs != 1 and x.shape[0] != self.graphs:
            raise ValueError(
                f"this message-passing basis is bound to {self.graphs} graphs but the feature "
                f"batch has {x.shape[0]} inputs (bind it to the batch's graphs with with_graphs)"
            )
        return self.adjacency

    def _propagate(self, x: np.ndarray) -> np.ndarray:
        """A x per graph: (batch, fields, n)."""
        A = self._check(x)
        if A.shape[0] == 1:
            return x @ A[0]  # A symmetric: (A x)_i = sum_j x_j A[j, i]
        return np.matmul(x, A)

    def apply(self, coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
        ax = self._propagate(x)
        return np.einsum("ab,nai->nbi", coeffs[:, :, 0], x, optimize=True) + np.einsum(
            "ab,nai->nbi", coeffs[:, :, 1], ax, optimize=True
        )

    def apply_transpose(self, coeffs: np.ndarray, gy: np.ndarray) -> np.ndarray:
        ag = self._propagate(gy)  # A^T = A
        return np.einsum("ab,nbi->nai", coeffs[:, :, 0], gy, optimize=True) + np.einsum(
            "ab,nbi->nai", coeffs[:, :, 1], ag, optimize=True
        )

    def coeff_grad(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        ax = self._propagate(x)
        return np.stack(
            [np.einsum("nai,nbi->ab", x, gy, optimize=True), np.einsum("nai,nbi->ab", ax, gy, optimize=True)], axis=-1
        )

    def dense(self, coeffs: np.ndarray) -> np.ndarray:
        """W for a basis bound to ONE graph, (n_out n, n_in n)."""
        if self.graphs != 1:
            raise ValueError(f"dense() needs a basis bound to one graph, this one has {self.graphs}")
        I, A = np.eye(self.n), self.adjacency[0]
        return np.kron(coeffs[:, :, 0].T, I) + np.kron(coeffs[:, :, 1].T, A)

    def fan_in(self) -> float:
        """Mean row sum of I + A over the real (non-isolated) nodes of the bound graphs."""
        deg = self.adjacency.sum(axis=2)
        real = deg > 0
        return float(1.0 + (deg[real].mean() if np.any(real) else 0.0))

    # ------------------------------------------------------------------ norms
    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Distinct eigenvalues of the bound adjacency matrices (rounded to 1e-12)."""
        lam = np.linalg.eigvalsh(self.adjacency).ravel()
        return np.unique(np.round(lam, 12))

    def basis_norm(self) -> float:
        """max over |beta| <= 1 and the bound graphs of ||beta_0 I + beta_1 A||_op = 1 + max |lambda|."""
        return float(1.0 + np.max(np.abs(self.eigenvalues)))

    def op_norm(self, coeffs: np.ndarray, rng: np.random.Generator | None = None) -> float:
        """max over the bound graphs of ||sum c[a,b,0] E_ba ⊗ I + c[a,b,1] E_ba ⊗ A||_op (exact)."""
        c = np.asarray(coeffs, dtype=np.float64)
        blocks = c[None, :, :, 0] + self.eigenvalues[:, None, None] * c[None, :, :, 1]
        return float(np.max(np.linalg.norm(blocks, ord=2, axis=(1, 2))))


def bind_graphs(layers, adjacency):
    """The same coefficients with every GraphBasis bound to ``adjacency`` (other layers kept)."""
    from .network import Layer

    return [
        Layer(layer.basis.with_graphs(adjacency), layer.coeffs) if isinstance(layer.basis, GraphBasis) else layer
        for layer in layers
    ]


def permute_graphs(x: np.ndarray, adjacency: np.ndarray, perms: np.ndarray):
    """Relabel nodes: node i of graph t becomes node perms[t, i] (features and adjacency together)."""
    inv = np.argsort(perms, axis=1)
    xp = np.take_along_axis(x, inv[:, None, :], axis=2)
    rows = inv[:, :, None]
    cols = inv[:, None, :]
    Ap = adjacency[np.arange(adjacency.shape[0])[:, None, None], rows, cols]
    return xp, Ap


def graph_equivariance_error(
    fn, x: np.ndarray, adjacency: np.ndarray, rng: np.random.Generator, count: int = 8
) -> float:
    """Max relative error of ``fn(x, adjacency)`` under random joint node relabellings:
    node-level outputs (last axis n) must be permuted, graph-level outputs (last axis 1) unchanged."""
    A = check_adjacency(adjacency)
    fx = fn(x, A)
    scale = max(float(np.linalg.norm(fx)), np.finfo(np.float64).tiny)
    worst = 0.0
    for _ in range(count):
        perms = np.argsort(rng.random((A.shape[0], A.shape[1])), axis=1)
        xp, Ap = permute_graphs(x, A, perms)
        out = fn(xp, Ap)
        expected = fx if fx.shape[2] == 1 else permute_graphs(fx, A, perms)[0]
        worst = max(worst, float(np.linalg.norm(out - expected)) / scale)
    return worst
