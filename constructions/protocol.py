"""The Basis protocol: everything the engine, norms, construction, verification and
training ask of a basis of Hom_G(R^X, R^Y) (THEORY.md §1-§3).

A layer is W = sum_{a,b,k} coeffs[a,b,k] E_ba ⊗ b_k with coefficients (n_in, n_out, |B|)
and features (batch, n_fields, |X|). :class:`~constructions.orbital.OrbitalBasis`,
:class:`~constructions.partition.PartitionBasis` and
:class:`~constructions.mpnn.GraphBasis` implement every member; the functions below are
the implementations that more than one of them shares.

Orbit structure used by the SLT construction (THEORY.md §3, "diagonal orbitals"):
* ``input_orbit()[k]`` = r(k), the G-orbit X_r of X that b_k reads from (b_k P_r = b_k and
  b_k P_s = 0 for s != r: an orbit of pairs (y, x) has all its x in one G-orbit);
* ``diagonal_orbits()[r]``, for a basis of Hom_G(R^X, R^X): the id of the orbital
  {(x, x) : x in X_r}, whose matrix is the projection P_r onto the coordinates of X_r;
* ``hidden_basis()``: the basis H of Hom_G(R^X, R^X), X = the input set, with the same
  locality (the first random layer of each pair).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .actions import Action

#: a dense layer matrix up to this many entries is used for exact SVD norms
DENSE_NORM_ENTRIES = 4_000_000
#: gathered working set per chunk (floats) of the engine's gather and conv paths
CHUNK_FLOATS = 4_000_000


@dataclass(frozen=True)
class ConvTable:
    """Translation structure of a lattice basis: ``table[o, f_out, f_in]`` is the orbit id
    of ((f_out, p), (f_in, p + offsets[o])) for every pixel p of the m x m torus."""

    offsets: np.ndarray  # (|K|, 2)
    table: np.ndarray  # (|K|, |F_out|, |F_in|)
    grid: int
    #: point-group symmetries (A, offset_image, perm_out, perm_in): A a 2x2 integer matrix,
    #: offsets[offset_image[o]] = A offsets[o] and table[offset_image[o], perm_out[f'],
    #: perm_in[f]] = table[o, f', f] (used, once verified, by conv.conv_op_norm)
    symmetries: tuple = ()


@runtime_checkable
class Basis(Protocol):
    """What a basis of Hom_G(R^X, R^Y) offers (module docstring)."""

    name: str
    dim: int  # |B|
    shape: tuple  # (|Y|, |X|)
    action_in: Action  # G on X (generators as permutations; equivariance checks)
    action_out: Action  # G on Y
    conv: ConvTable | None  # translation structure (lattice bases), else None
    counts: np.ndarray  # counts[q, r, k] = #{x in X_r : (y_q, x) in O_k}, y_q in Y_q (norms.py)

    def apply(self, coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
        """W x: (batch, n_in, |X|) -> (batch, n_out, |Y|)."""

    def apply_transpose(self, coeffs: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """W^T gy: (batch, n_out, |Y|) -> (batch, n_in, |X|)."""

    def coeff_grad(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """d <gy, W x> / d coeffs, shape (n_in, n_out, |B|)."""

    def dense(self, coeffs: np.ndarray) -> np.ndarray:
        """W as a dense (n_out |Y|, n_in |X|) matrix (small cases)."""

    def orbit_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """(|Y_q| per G-orbit of Y, |X_r| per G-orbit of X), the orbits indexing ``counts``."""

    def input_orbit(self) -> np.ndarray:
        """r(k) for every basis element, shape (|B|,)."""

    def diagonal_orbits(self) -> np.ndarray:
        """Ids of the diagonal orbitals P_r of an X -> X basis, one per G-orbit X_r."""

    def hidden_basis(self) -> Basis:
        """The X -> X basis H of the construction's first random layer."""

    def fan_in(self) -> float:
        """Mean number of input coordinates feeding one output coordinate, per input field."""

    def op_norm(self, coeffs: np.ndarray, rng: np.random.Generator | None = None) -> float:
        """||W||_op of the layer with these coefficients."""


def input_orbit_from_counts(counts: np.ndarray) -> np.ndarray:
    """r(k) = the one input orbit r with counts[:, r, k] > 0."""
    reads = counts.sum(axis=0) > 0  # (R, K)
    if not np.all(reads.sum(axis=0) == 1):
        raise AssertionError("an orbital reads from more than one input orbit (corrupt basis)")
    return np.argmax(reads, axis=0)


def row_sum_fan_in(basis: Basis) -> float:
    """Mean row sum of S = sum_k b_k (at least 1), computed with the basis' own apply."""
    ones = np.ones((1, 1, basis.shape[1]))
    rows = basis.apply(np.ones((1, 1, basis.dim)), ones)
    return float(max(np.mean(rows), 1.0))


def matrix_free_op_norm(basis: Basis, coeffs: np.ndarray, rng: np.random.Generator | None = None) -> float:
    """||W||_op by dense SVD for small layers, else Lanczos (ARPACK svds, tol 1e-12, start
    vector from ``rng``, default seed 0) on the matrix-free map."""
    ny, nx = basis.shape
    n_in, n_out = coeffs.shape[:2]
    rows, cols = n_out * ny, n_in * nx
    if (rows * cols <= DENSE_NORM_ENTRIES or min(rows, cols) <= 2) and rows * cols <= 50_000_000:
        return float(np.linalg.norm(basis.dense(coeffs), 2))
    from scipy.sparse.linalg import LinearOperator, svds

    op = LinearOperator(
        (rows, cols),
        dtype=np.float64,
        matvec=lambda v: basis.apply(coeffs, v.reshape(1, n_in, nx)).ravel(),
        rmatvec=lambda v: basis.apply_transpose(coeffs, v.reshape(1, n_out, ny)).ravel(),
    )
    v0 = (rng or np.random.default_rng(0)).standard_normal(min(rows, cols))
    s = svds(op, k=1, tol=1e-12, return_singular_vectors=False, v0=v0, maxiter=10_000)
    return float(s[0])
