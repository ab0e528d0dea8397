"""Orbit structure the SLT construction needs (THEORY.md §3, "diagonal orbitals").

* ``input_orbit(basis)[k]`` = r(k): the G-orbit X_r of X that basis element b_k reads
  from (b_k P_r = b_k and b_k P_s = 0 for s != r: an orbit of pairs (y, x) has all its x
  in one G-orbit).
* ``diagonal_orbits(basis)[r]``: for a basis of Hom_G(R^X, R^X), the id of the orbital
  {(x, x) : x in X_r}, whose matrix is the projection P_r onto the coordinates of X_r.

A basis-like object may define attributes of the same names (e.g. the graph-dependent
MPNN basis); otherwise they are derived from the orbit counts / the support.
"""
from __future__ import annotations

import numpy as np

from .partition import PartitionBasis, canonical, set_partitions


def input_orbit(basis) -> np.ndarray:
    """r(k) for every basis element k, shape (|B|,)."""
    own = getattr(basis, "input_orbit", None)
    if own is not None:
        return np.asarray(own)
    reads = basis.counts.sum(axis=0) > 0  # (R, K)
    if not np.all(reads.sum(axis=0) == 1):
        raise AssertionError("an orbital reads from more than one input orbit (corrupt basis)")
    return np.argmax(reads, axis=0)


def diagonal_orbits(basis) -> np.ndarray:
    """Ids of the diagonal orbitals P_r of an X -> X basis, one per G-orbit X_r."""
    own = getattr(basis, "diagonal_orbits", None)
    if own is not None:
        return np.asarray(own)
    if isinstance(basis, PartitionBasis):
        if basis.k != basis.l:
            raise ValueError(f"diagonal orbitals need the same field type in and out, got orders {basis.k} -> {basis.l}")
        index = {p: i for i, p in enumerate(basis.parts)}
        return np.array([index[canonical(r + r)] for r in set_partitions(basis.k, basis.n)])
    if basis.action_in is not basis.action_out and not np.array_equal(basis.action_in.perms, basis.action_out.perms):
        raise ValueError("diagonal orbitals need the same field type in and out (an X -> X basis)")
    xo = basis.x_orbits
    diag = basis.rows == basis.cols
    found = np.full(xo.max() + 1, -1)
    found[xo[basis.cols[diag]]] = basis.ids[diag]
    if np.any(found < 0):
        raise ValueError("the support of this X -> X basis does not contain the diagonal (kernel without its centre)")
    return found
