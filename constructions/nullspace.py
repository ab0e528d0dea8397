"""Generic equivariant basis by linear algebra — a TEST ORACLE for small cases only.

Hom_G(R^X, R^Y) = {W : rho_Y(g) W = W rho_X(g) for all generators g}, the nullspace of
the stacked constraints (rho_X(g)^T ⊗ rho_Y(g) - I) vec(W) = 0 (the emlp recipe),
computed by SVD with a relative cut-off. Dense: O((|X||Y|)^3); never used by the toolkit
itself, only to check that orbital bases span exactly this space.
"""

from __future__ import annotations

import numpy as np

from .actions import Action, check_same_group


def perm_matrix(perm: np.ndarray) -> np.ndarray:
    """rho(g) as a matrix: (rho(g) x)[g . p] = x[p], i.e. P[g[p], p] = 1."""
    n = perm.size
    P = np.zeros((n, n))
    P[perm, np.arange(n)] = 1.0
    return P


def equivariant_nullspace(action_in: Action, action_out: Action, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis of Hom_G(R^X, R^Y) as an array (dim, |Y|, |X|)."""
    check_same_group(action_in, action_out)
    nx, ny = action_in.size, action_out.size
    if nx * ny > 4096:
        raise ValueError(f"nullspace oracle is for small cases (|X||Y| <= 4096), got {nx * ny}")
    blocks = []
    for gx, gy in zip(action_in.perms, action_out.perms):
        Px, Py = perm_matrix(gx), perm_matrix(gy)
        # vec(Py W Px^T) - vec(W) = 0 (row-major vec: vec(A W B) = (A ⊗ B^T) vec W)
        blocks.append(np.kron(Py, Px) - np.eye(nx * ny))
    A = np.concatenate(blocks)
    _, s, vt = np.linalg.svd(A)
    s = np.concatenate([s, np.zeros(vt.shape[0] - s.size)])
    null = vt[s <= rtol * max(s.max(initial=0.0), 1.0)]
    return null.reshape(-1, ny, nx)
