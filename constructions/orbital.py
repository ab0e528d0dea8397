"""Orbital bases of Hom_G(R^X, R^Y) (THEORY.md §1) and how a layer applies them.

The basis has one 0/1 matrix b_O per orbit O of G on the support S ⊂ Y x X (S = Y x X
without locality): b_O[y, x] = 1 iff (y, x) in O. It is stored sparsely as the support
pairs ``(rows, cols)`` with the orbit id of each pair (``ids``), sorted by (row, id, col).

Orbits are computed by union-find over the generators: the connected components of the
graph (y, x) -- (g_i . y, g_i . x) on S (scipy's connected_components, vectorised).

A layer with coefficients ``coeffs[a, b, k]`` (n_in, n_out, |B|) is the map
W = sum_{a,b,k} coeffs[a,b,k] E_ba ⊗ b_k, applied to feature batches (batch, n_in, |X|)
without forming W:
* ``conv`` path (lattice fields, translation structure; ``conv.py``): one BLAS matmul per
  kernel offset, or one complex product per frequency of the torus;
* ``gather`` path (any support): rows of the same G-orbit of Y see the same sorted list
  of orbit ids; for each such pattern, gather x at the neighbours, sum neighbours that
  share an orbit id, and contract with the coefficients (one matmul per pattern).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from .actions import Action, check_same_group, first_occurrence_labels, orbits
from .conv import conv_apply, conv_apply_transpose, conv_coeff_grad, conv_op_norm
from .protocol import CHUNK_FLOATS, Basis, ConvTable, input_orbit_from_counts, matrix_free_op_norm, row_sum_fan_in


@dataclass(frozen=True, eq=False)
class OrbitalBasis:
    """Orbital basis of Hom_G(R^X, R^Y) on a G-invariant support (module docstring); a
    :class:`~constructions.protocol.Basis`. ``hidden`` builds the X -> X basis of the same
    locality when the builder knows it (``constructions.basis`` passes its cache);
    without it the hidden basis is the orbital basis of all of X x X."""

    action_in: Action
    action_out: Action
    rows: np.ndarray
    cols: np.ndarray
    ids: np.ndarray
    dim: int
    conv: ConvTable | None = None
    name: str = ""
    hidden: Callable[[], Basis] | None = field(default=None, repr=False)

    def __post_init__(self):
        for a in (self.rows, self.cols, self.ids):
            a.setflags(write=False)  # shared by every user of a cached basis

    @property
    def shape(self) -> tuple[int, int]:
        """(|Y|, |X|)"""
        return self.action_out.size, self.action_in.size

    @property
    def nnz(self) -> int:
        return int(self.rows.size)

    # ------------------------------------------------------------------ structure
    @cached_property
    def x_orbits(self) -> np.ndarray:
        return orbits(self.action_in)

    @cached_property
    def y_orbits(self) -> np.ndarray:
        return orbits(self.action_out)

    @cached_property
    def counts(self) -> np.ndarray:
        """counts[q, r, k] = #{x in X_r : (y_q, x) in orbit k} for a representative y_q of
        the G-orbit Y_q (the same for every y in Y_q). Feeds exact norms (norms.py)."""
        yo, xo = self.y_orbits, self.x_orbits
        rep = np.unique(yo, return_index=True)[1]  # first y of each orbit
        keep = self.rows == rep[yo[self.rows]]
        out = np.zeros((rep.size, xo.max() + 1, self.dim), dtype=np.int64)
        np.add.at(out, (yo[self.rows[keep]], xo[self.cols[keep]], self.ids[keep]), 1)
        return out

    def orbit_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.bincount(self.y_orbits, minlength=self.counts.shape[0]),
            np.bincount(self.x_orbits, minlength=self.counts.shape[1]),
        )

    def input_orbit(self) -> np.ndarray:
        return input_orbit_from_counts(self.counts)

    def diagonal_orbits(self) -> np.ndarray:
        """The orbit id of the pairs (x, x), x in X_r, for each G-orbit X_r (an X -> X basis)."""
        if self.action_in is not self.action_out and not np.array_equal(self.action_in.perms, self.action_out.perms):
            raise ValueError("diagonal orbitals need the same field type in and out (an X -> X basis)")
        diag = self.rows == self.cols
        found = np.full(self.x_orbits.max() + 1, -1)
        found[self.x_orbits[self.cols[diag]]] = self.ids[diag]
        if np.any(found < 0):
            raise ValueError(
                "the support of this X -> X basis does not contain the diagonal (kernel without its centre)"
            )
        return found

    def hidden_basis(self) -> Basis:
        return self.hidden() if self.hidden is not None else orbital_basis(self.action_in, self.action_in)

    def dense_elements(self) -> np.ndarray:
        """The basis matrices b_k as a dense array (|B|, |Y|, |X|) (small cases only)."""
        _check_dense_size(self.dim * self.shape[0] * self.shape[1])
        out = np.zeros((self.dim, *self.shape))
        out[self.ids, self.rows, self.cols] = 1.0
        return out

    def dense(self, coeffs: np.ndarray) -> np.ndarray:
        """W = sum coeffs[a,b,k] E_ba ⊗ b_k as a dense (n_out |Y|, n_in |X|) matrix."""
        n_in, n_out, _ = coeffs.shape
        ny, nx = self.shape
        _check_dense_size(n_in * n_out * ny * nx)
        out = np.zeros((n_out, ny, n_in, nx))
        vals = coeffs[:, :, self.ids]  # (n_in, n_out, nnz)
        out[:, self.rows, :, self.cols] = vals.transpose(2, 1, 0)
        return out.reshape(n_out * ny, n_in * nx)

    # ------------------------------------------------------------------ engine
    def apply(self, coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
        """W x for x of shape (batch, n_in, |X|); returns (batch, n_out, |Y|)."""
        if self.conv is not None:
            return conv_apply(self.conv, coeffs, x)
        if self.shape == (1, 1) and self.dim == 1:  # one point each side (MLP, point heads): a matrix
            return (x[:, :, 0] @ coeffs[:, :, 0])[:, :, None]
        return _gather_apply(self, coeffs, x)

    def apply_transpose(self, coeffs: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """W^T gy for gy of shape (batch, n_out, |Y|); returns (batch, n_in, |X|)."""
        if self.conv is not None:
            return conv_apply_transpose(self.conv, coeffs, gy)
        if self.shape == (1, 1) and self.dim == 1:
            return (gy[:, :, 0] @ coeffs[:, :, 0].T)[:, :, None]
        return _gather_apply_transpose(self, coeffs, gy)

    def coeff_grad(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """d <gy, W x> / d coeffs[a, b, k] = sum_n sum_{(y,x') in O_k} gy[n,b,y] x[n,a,x']."""
        if self.conv is not None:
            return conv_coeff_grad(self.conv, x, gy, self.dim)
        if self.shape == (1, 1) and self.dim == 1:
            return (x[:, :, 0].T @ gy[:, :, 0])[:, :, None]
        return _gather_coeff_grad(self, x, gy)

    def fan_in(self) -> float:
        return row_sum_fan_in(self)

    def op_norm(self, coeffs: np.ndarray, rng: np.random.Generator | None = None) -> float:
        """Exact by 2-D DFT block-diagonalisation for lattice layers (conv.py), else
        dense SVD or Lanczos (protocol.matrix_free_op_norm)."""
        if self.conv is not None:
            return conv_op_norm(self.conv, coeffs)
        return matrix_free_op_norm(self, coeffs, rng)

    # ------------------------------------------------------------------ gather patterns
    @cached_property
    def patterns(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Rows grouped by their sorted orbit-id list: (ys, nbr, ids, uid, starts) per
        pattern, with nbr (len(ys), L) the neighbours of each row sorted by orbit id,
        ids (L,) their orbit ids, uid the distinct ids and starts their segment starts."""
        ny = self.shape[0]
        order = np.lexsort((self.cols, self.ids, self.rows))
        rows, cols, ids = self.rows[order], self.cols[order], self.ids[order]
        lengths = np.bincount(rows, minlength=ny)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        out = []
        for L in np.unique(lengths[lengths > 0]):
            ys = np.nonzero(lengths == L)[0]
            idx = starts[ys][:, None] + np.arange(L)
            id_rows = ids[idx]
            uniq, inv = np.unique(id_rows, axis=0, return_inverse=True)
            inv = inv.ravel()
            for p in range(uniq.shape[0]):
                sel = inv == p
                pid = uniq[p]
                seg = np.concatenate([[True], pid[1:] != pid[:-1]])
                out.append((ys[sel], cols[idx[sel]], pid, pid[seg], np.nonzero(seg)[0]))
        return out


def _check_dense_size(entries: int, cap: int = 50_000_000) -> None:
    if entries > cap:
        raise ValueError(
            f"dense form would have {entries:,} entries (> {cap:,}); "
            f"use apply() instead of a dense matrix for this size"
        )


# ---------------------------------------------------------------------- construction
def orbital_basis(action_in: Action, action_out: Action, support=None, name: str = "") -> OrbitalBasis:
    """The orbital basis of Hom_G(R^X, R^Y) (X = action_in's set, Y = action_out's).

    ``support``: None (all of Y x X) or a pair of integer arrays (ys, xs) listing the
    allowed pairs; it must be G-invariant (checked). Orbit ids are numbered in order of
    first appearance in (y, x) lexicographic order, so the basis is canonical.
    """
    check_same_group(action_in, action_out)
    nx, ny = action_in.size, action_out.size
    if support is None:
        keys = np.arange(ny * nx, dtype=np.int64)
    else:
        ys, xs = (np.asarray(s, dtype=np.int64).ravel() for s in support)
        if ys.shape != xs.shape:
            raise ValueError(f"support rows and columns differ in length: {ys.shape} vs {xs.shape}")
        if ys.size and (ys.min() < 0 or ys.max() >= ny or xs.min() < 0 or xs.max() >= nx):
            raise ValueError(f"support pairs out of range: rows must be in [0, {ny}), columns in [0, {nx})")
        keys = np.unique(ys * nx + xs)
    n = keys.size
    src, dst = [], []
    for gy, gx in zip(action_out.perms, action_in.perms):
        image = gy[keys // nx] * nx + gx[keys % nx]
        if support is None:
            pos = image
        else:
            pos = np.searchsorted(keys, image)
            pos_clip = np.minimum(pos, n - 1)
            if n and not np.array_equal(keys[pos_clip], image):
                bad = int(np.nonzero(keys[pos_clip] != image)[0][0])
                raise ValueError(
                    f"the support is not G-invariant: pair (y={keys[bad] // nx}, x={keys[bad] % nx}) "
                    f"is mapped outside it by generator {len(src)}"
                )
        src.append(np.arange(n))
        dst.append(pos)
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    dim, labels = connected_components(graph, directed=True, connection="weak")
    ids = first_occurrence_labels(labels)
    return OrbitalBasis(action_in, action_out, keys // nx, keys % nx, ids, int(dim), None, name)


# ---------------------------------------------------------------------- gather path
def _gather_apply(basis: OrbitalBasis, coeffs, x):
    batch, n_in, _ = x.shape
    n_out = coeffs.shape[1]
    out = np.zeros((batch, n_out, basis.shape[0]), dtype=np.result_type(x, coeffs))
    for ys, nbr, _, uid, starts in basis.patterns:
        L = nbr.shape[1]
        w = coeffs[:, :, uid].transpose(0, 2, 1).reshape(n_in * uid.size, n_out)  # (a,u) x b
        step = max(1, CHUNK_FLOATS // max(1, batch * n_in * L))
        for c in range(0, ys.size, step):
            xg = x[:, :, nbr[c : c + step]]  # (batch, n_in, R, L)
            if uid.size < L:
                xg = np.add.reduceat(xg, starts, axis=3)
            R = xg.shape[2]
            xs = xg.transpose(0, 2, 1, 3).reshape(batch * R, n_in * uid.size)
            out[:, :, ys[c : c + step]] = (xs @ w).reshape(batch, R, n_out).transpose(0, 2, 1)
    return out


def _expand_segments(values, starts, L):
    """Repeat the last axis: segment u (starting at starts[u]) gets values[..., u]."""
    seg = np.zeros(L, dtype=np.int64)
    seg[starts[1:]] = 1
    return values[..., np.cumsum(seg)]


def _gather_apply_transpose(basis: OrbitalBasis, coeffs, gy):
    batch, n_out, _ = gy.shape
    n_in = coeffs.shape[0]
    nx = basis.shape[1]
    out = np.zeros((batch * n_in, nx), dtype=np.result_type(gy, coeffs))
    for ys, nbr, _, uid, starts in basis.patterns:
        L = nbr.shape[1]
        w = coeffs[:, :, uid].transpose(1, 0, 2).reshape(n_out, n_in * uid.size)  # b x (a,u)
        step = max(1, CHUNK_FLOATS // max(1, batch * n_in * L))
        for c in range(0, ys.size, step):
            rows = ys[c : c + step]
            R = rows.size
            t = gy[:, :, rows].transpose(0, 2, 1).reshape(batch * R, n_out) @ w  # (n R, a u)
            t = t.reshape(batch, R, n_in, uid.size).transpose(0, 2, 1, 3)  # (n, a, R, u)
            if uid.size < L:
                t = _expand_segments(t, starts, L)
            sel = csr_matrix((np.ones(R * L), (np.arange(R * L), nbr[c : c + step].ravel())), shape=(R * L, nx))
            out += (sel.T @ t.reshape(batch * n_in, R * L).T).T
    return out.reshape(batch, n_in, nx)


def _gather_coeff_grad(basis: OrbitalBasis, x, gy):
    batch, n_in, _ = x.shape
    n_out = gy.shape[1]
    grad = np.zeros((n_in, n_out, basis.dim), dtype=np.result_type(x, gy))
    for ys, nbr, _, uid, starts in basis.patterns:
        L = nbr.shape[1]
        step = max(1, CHUNK_FLOATS // max(1, batch * n_in * L))
        for c in range(0, ys.size, step):
            xg = x[:, :, nbr[c : c + step]]
            if uid.size < L:
                xg = np.add.reduceat(xg, starts, axis=3)
            grad[:, :, uid] += np.einsum("nard,nbr->abd", xg, gy[:, :, ys[c : c + step]], optimize=True)
    return grad


# ---------------------------------------------------------------------- Burnside oracle
def burnside_count(basis, cap: int = 20_000) -> int | None:
    """|B| by Burnside's lemma over the image of G in Sym(X ⊔ Y):
    (1/|G|) sum_g #{(y, x) in support : g . y = y, g . x = x}. An independent count of the
    orbits (no union-find); None when the group has more than ``cap`` elements."""
    from .actions import closure, joint

    try:
        elements = closure(joint(basis.action_in, basis.action_out), cap=cap)
    except ValueError:
        return None
    nx = basis.action_in.size
    gx, gy = elements[:, :nx], elements[:, nx:] - nx
    rows, cols = basis.rows, basis.cols
    fixed = 0
    for px, py in zip(gx, gy):
        fixed += int(np.count_nonzero((py[rows] == rows) & (px[cols] == cols)))
    count, rem = divmod(fixed, elements.shape[0])
    if rem:
        raise AssertionError("Burnside sum not divisible by |G|: the support is not G-invariant")
    return count
