"""Exact operator norms of nonnegative equivariant maps (THEORY.md §1).

For an orbital basis the supports are disjoint 0/1 patterns, so every
W = sum_{a,b,k} beta[a,b,k] E_ba ⊗ b_k with |beta| <= w is entrywise dominated by the
nonnegative equivariant matrix |W|_w = sum w[a,b,k] E_ba ⊗ b_k, and ||W|| <= || |W|_w ||.

Reduction to orbits (exact). A nonnegative G-equivariant matrix N has a G-invariant top
right singular vector: a Perron vector v >= 0 of N^T N exists, and its G-average is
still a nonzero nonnegative top eigenvector. Invariant vectors are constant on each
(input field a, G-orbit X_r) block, so with
    M[(b, q), (a, r)] = sum_k w[a, b, k] counts[q, r, k]
(counts[q, r, k] = #{x in X_r : (y_q, x) in O_k} for any y_q in the orbit Y_q),
    ||N||_op = sigma_max( D_Y^{1/2} M D_X^{-1/2} ),  D = diag(orbit sizes),
a matrix of size (n_out * #Y-orbits) x (n_in * #X-orbits). In particular the basis norm
||B|| = ||sum_k b_k||_op is this with w = 1 and one field each way.
"""

from __future__ import annotations

import numpy as np

from .protocol import Basis


def perron_norm(basis: Basis, weights: np.ndarray) -> float:
    """Exact ||sum_{a,b,k} weights[a,b,k] E_ba ⊗ b_k||_op for weights >= 0, (n_in, n_out, |B|)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3 or w.shape[2] != basis.dim:
        raise ValueError(f"weights must have shape (n_in, n_out, {basis.dim}), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("perron_norm needs finite nonnegative weights (use absolute values)")
    n_in, n_out, _ = w.shape
    counts = basis.counts.astype(np.float64)  # (Q, R, K)
    ysz, xsz = basis.orbit_sizes()
    M = np.einsum("abk,qrk->bqar", w, counts, optimize=True)
    M = M * np.sqrt(ysz)[None, :, None, None] / np.sqrt(xsz)[None, None, None, :]
    M = M.reshape(n_out * counts.shape[0], n_in * counts.shape[1])
    return float(np.linalg.norm(M, 2)) if M.size else 0.0


def basis_norm(basis: Basis) -> float:
    """||B|| = max_{|beta_k| <= 1} ||sum_k beta_k b_k||_op = ||sum_k b_k||_op (exact)."""
    return perron_norm(basis, np.ones((1, 1, basis.dim)))
