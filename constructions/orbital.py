"""Orbital bases of Hom_G(R^X, R^Y) (THEORY.md §1) and how a layer applies them.

The basis has one 0/1 matrix b_O per orbit O of G on the support S ⊂ Y x X (S = Y x X
without locality): b_O[y, x] = 1 iff (y, x) in O. It is stored sparsely as the support
pairs ``(rows, cols)`` with the orbit id of each pair (``ids``), sorted by (row, id, col).

Orbits are computed by union-find over the generators: the connected components of the
graph (y, x) -- (g_i . y, g_i . x) on S (scipy's connected_components, vectorised).

A layer with coefficients ``coeffs[a, b, k]`` (n_in, n_out, |B|) is the map
W = sum_{a,b,k} coeffs[a,b,k] E_ba ⊗ b_k, applied to feature batches (batch, n_in, |X|)
without forming W:
* ``conv`` path (lattice fields, translation structure): the orbit of ((f', p), (f, p+o))
  depends only on (o, f', f); for each offset o a dense channel matrix M_o is assembled
  from the coefficients and y[p] += M_o x[p + o] (one BLAS matmul per offset);
* ``gather`` path (any support): rows of the same G-orbit of Y see the same sorted list
  of orbit ids; for each such pattern, gather x at the neighbours, sum neighbours that
  share an orbit id, and contract with the coefficients (one matmul per pattern).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from .actions import Action, check_same_group, first_occurrence_labels, orbits

#: gathered working set per chunk (floats) for the gather and conv paths
_CHUNK_FLOATS = 4_000_000
#: conv path: np.matmul on strided windows up to this many channels each way, 2-D gemms above
_STRIDED_MAX_CHANNELS = 256
#: conv path: the Fourier route needs at least this many kernel offsets (flop break-even
#: is about 4: a complex multiply-add costs 4 real ones and rfft2 keeps about half of the
#: m^2 frequencies) and this many batch items (building the symbols W(w) costs like one item)
_FOURIER_MIN_OFFSETS = 5
_FOURIER_MIN_BATCH = 4
#: complex working set per frequency chunk of the Fourier route (complex entries)
_FOURIER_CHUNK = 4_000_000


@dataclass(frozen=True)
class ConvTable:
    """Translation structure of a lattice basis: ``table[o, f_out, f_in]`` is the orbit id
    of ((f_out, p), (f_in, p + offsets[o])) for every pixel p of the m x m torus."""

    offsets: np.ndarray  # (|K|, 2)
    table: np.ndarray  # (|K|, |F_out|, |F_in|)
    grid: int


@dataclass(frozen=True, eq=False)
class OrbitalBasis:
    """Orbital basis of Hom_G(R^X, R^Y) on a G-invariant support (see module docstring)."""

    action_in: Action
    action_out: Action
    rows: np.ndarray
    cols: np.ndarray
    ids: np.ndarray
    dim: int
    conv: ConvTable | None = None
    name: str = ""
    spec_in: dict | None = None  # field specs when built by basis_from_specs (DESIGN.md)
    spec_out: dict | None = None

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
            return _conv_apply(self, coeffs, x)
        return _gather_apply(self, coeffs, x)

    def apply_transpose(self, coeffs: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """W^T gy for gy of shape (batch, n_out, |Y|); returns (batch, n_in, |X|)."""
        if self.conv is not None:
            return _conv_apply_transpose(self, coeffs, gy)
        return _gather_apply_transpose(self, coeffs, gy)

    def coeff_grad(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """d <gy, W x> / d coeffs[a, b, k] = sum_n sum_{(y,x') in O_k} gy[n,b,y] x[n,a,x']."""
        if self.conv is not None:
            return _conv_coeff_grad(self, x, gy)
        return _gather_coeff_grad(self, x, gy)

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
        raise ValueError(f"dense form would have {entries:,} entries (> {cap:,}); "
                         f"use apply() instead of a dense matrix for this size")


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
                raise ValueError(f"the support is not G-invariant: pair (y={keys[bad] // nx}, x={keys[bad] % nx}) "
                                 f"is mapped outside it by generator {len(src)}")
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
        step = max(1, _CHUNK_FLOATS // max(1, batch * n_in * L))
        for c in range(0, ys.size, step):
            xg = x[:, :, nbr[c:c + step]]  # (batch, n_in, R, L)
            if uid.size < L:
                xg = np.add.reduceat(xg, starts, axis=3)
            R = xg.shape[2]
            xs = xg.transpose(0, 2, 1, 3).reshape(batch * R, n_in * uid.size)
            out[:, :, ys[c:c + step]] = (xs @ w).reshape(batch, R, n_out).transpose(0, 2, 1)
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
        step = max(1, _CHUNK_FLOATS // max(1, batch * n_in * L))
        for c in range(0, ys.size, step):
            rows = ys[c:c + step]
            R = rows.size
            t = gy[:, :, rows].transpose(0, 2, 1).reshape(batch * R, n_out) @ w  # (n R, a u)
            t = t.reshape(batch, R, n_in, uid.size).transpose(0, 2, 1, 3)  # (n, a, R, u)
            if uid.size < L:
                t = _expand_segments(t, starts, L)
            sel = csr_matrix((np.ones(R * L), (np.arange(R * L), nbr[c:c + step].ravel())), shape=(R * L, nx))
            out += (sel.T @ t.reshape(batch * n_in, R * L).T).T
    return out.reshape(batch, n_in, nx)


def _gather_coeff_grad(basis: OrbitalBasis, x, gy):
    batch, n_in, _ = x.shape
    n_out = gy.shape[1]
    grad = np.zeros((n_in, n_out, basis.dim), dtype=np.result_type(x, gy))
    for ys, nbr, _, uid, starts in basis.patterns:
        L = nbr.shape[1]
        step = max(1, _CHUNK_FLOATS // max(1, batch * n_in * L))
        for c in range(0, ys.size, step):
            xg = x[:, :, nbr[c:c + step]]
            if uid.size < L:
                xg = np.add.reduceat(xg, starts, axis=3)
            grad[:, :, uid] += np.einsum("nard,nbr->abd", xg, gy[:, :, ys[c:c + step]], optimize=True)
    return grad


# ---------------------------------------------------------------------- conv path
def _channels_last(x, nf, m):
    batch, n = x.shape[:2]
    return x.reshape(batch, n, nf, m, m).transpose(0, 3, 4, 1, 2).reshape(batch, m, m, n * nf)


def _channels_first(y, n, nf, m):
    batch = y.shape[0]
    return y.reshape(batch, m, m, n, nf).transpose(0, 3, 4, 1, 2).reshape(batch, n, nf * m * m)


def _offset_matrices(conv: ConvTable, coeffs):
    """M[o] with M[o][(a, f_in), (b, f_out)] = coeffs[a, b, table[o, f_out, f_in]]."""
    n_in, n_out, _ = coeffs.shape
    K, fo, fi = conv.table.shape
    vals = coeffs[:, :, conv.table]  # (n_in, n_out, K, fo, fi)
    return vals.transpose(2, 0, 4, 1, 3).reshape(K, n_in * fi, n_out * fo)


def _wrap_pad(t, r):
    """Circularly pad the two pixel axes (1, 2) of a channels-last batch by r."""
    return np.pad(t, ((0, 0), (r, r), (r, r), (0, 0)), mode="wrap") if r else t


def _shift_matmul(tp, mats, shifts, m, r, out_dtype):
    """out[p] = sum_o tp[p + r + shift_o] @ mats[o] for a wrap-padded channels-last batch tp.

    (Narrow layers with kernels of 5 or more offsets and batches of 4 or more take the
    Fourier route instead, :func:`_fourier_apply`.) Three strategies, chosen by measured
    speed on this kind of machine: for up to 256
    channels each way, np.matmul directly on the strided windows; for wider layers (the
    random network), plain 2-D BLAS gemms (np.matmul on strided views of wide layers was
    measured 30-60x slower): with C_in <= C_out the im2col matrix [window_0 ... window_K]
    times the stacked M_o, else the whole padded image times [M_0 ... M_K] followed by
    the shifted window sums of the product.
    """
    batch, side, _, c_in = tp.shape
    K, _, c_out = mats.shape
    if c_in <= _STRIDED_MAX_CHANNELS and c_out <= _STRIDED_MAX_CHANNELS:
        out = np.zeros((batch, m, m, c_out), dtype=out_dtype)
        for o, (dx, dy) in enumerate(shifts):
            out += np.matmul(tp[:, r + dx:r + dx + m, r + dy:r + dy + m], mats[o])
        return out
    out = np.empty((batch, m, m, c_out), dtype=out_dtype)
    if c_in <= c_out:
        w = mats.reshape(K * c_in, c_out)
        step = max(1, _CHUNK_FLOATS // (m * m * K * c_in))
        for s in range(0, batch, step):
            t = tp[s:s + step]
            cols = np.empty((t.shape[0], m, m, K, c_in), dtype=tp.dtype)
            for o, (dx, dy) in enumerate(shifts):
                cols[:, :, :, o] = t[:, r + dx:r + dx + m, r + dy:r + dy + m]
            out[s:s + step] = (cols.reshape(-1, K * c_in) @ w).reshape(-1, m, m, c_out)
    else:
        w = mats.transpose(1, 0, 2).reshape(c_in, K * c_out)
        step = max(1, _CHUNK_FLOATS // (side * side * max(K * c_out, c_in)))
        for s in range(0, batch, step):
            t = tp[s:s + step]
            prod = (t.reshape(-1, c_in) @ w).reshape(t.shape[0], side, side, K, c_out)
            acc = np.zeros((t.shape[0], m, m, c_out), dtype=out_dtype)
            for o, (dx, dy) in enumerate(shifts):
                acc += prod[:, r + dx:r + dx + m, r + dy:r + dy + m, o]
            out[s:s + step] = acc
    return out


def _use_fourier(conv: ConvTable, batch: int, c_in: int, c_out: int) -> bool:
    """The Fourier route for layers up to _STRIDED_MAX_CHANNELS wide (measured 1.8x faster
    than strided matmuls for 128 channels, 3x3 kernels, 28x28, batch 64); wide layers keep
    their 2-D gemms, which were measured as fast as the Fourier route there."""
    return (len(conv.offsets) >= _FOURIER_MIN_OFFSETS and batch >= _FOURIER_MIN_BATCH
            and max(c_in, c_out) <= _STRIDED_MAX_CHANNELS)


def _fourier_apply(conv: ConvTable, mats, x, n_out, fo, fi, conjugate, out_dtype):
    """Circular convolution by the convolution theorem: with X(w) = rfft2 of x over the
    torus and the symbols W(w) = sum_o exp(2 pi i w.o / m) M_o (conv_op_norm's symbols,
    transposed), out(w) = X(w) W(w) for ``out[p] = sum_o x[p + o] M_o``, and
    out(w) = X(w) conj(W(w)) for ``out[q] = sum_o x[q - o] M_o`` (the transpose).
    One (batch x C_in) @ (C_in x C_out) complex product per frequency, chunked over
    frequencies; exact up to float64 rounding (about 1e-15 relative, tested)."""
    m = conv.grid
    batch, c_in = x.shape[0], x.shape[1] * fi
    c_out = mats.shape[2]
    xf = np.fft.rfft2(x.reshape(batch, c_in, m, m), axes=(2, 3))
    half = xf.shape[3]
    xf = xf.reshape(batch, c_in, m * half).transpose(2, 0, 1)  # (F, batch, c_in)
    u, v = np.meshgrid(np.arange(m), np.arange(half), indexing="ij")
    w = np.stack([u.ravel(), v.ravel()], axis=1)  # (F, 2), F = m * (m // 2 + 1)
    sign = -1.0 if conjugate else 1.0
    phase = np.exp(sign * 2j * np.pi * (w @ conv.offsets.T) / m)  # (F, K)
    flat = mats.reshape(len(conv.offsets), c_in * c_out)
    yf = np.empty((m * half, batch, c_out), dtype=xf.dtype)
    step = max(1, _FOURIER_CHUNK // (c_in * c_out + batch * (c_in + c_out)))
    for s in range(0, m * half, step):
        symbols = (phase[s:s + step] @ flat).reshape(-1, c_in, c_out)
        np.matmul(xf[s:s + step], symbols, out=yf[s:s + step])
    yf = yf.transpose(1, 2, 0).reshape(batch, c_out, m, half)
    out = np.fft.irfft2(yf, s=(m, m), axes=(2, 3))
    return out.reshape(batch, n_out, fo * m * m).astype(out_dtype, copy=False)


def _conv_apply(basis, coeffs, x):
    conv = basis.conv
    m = conv.grid
    K, fo, fi = conv.table.shape
    out_dtype = np.result_type(x, coeffs)
    mats = _offset_matrices(conv, coeffs)
    if _use_fourier(conv, x.shape[0], *mats.shape[1:]):
        return _fourier_apply(conv, mats, x, coeffs.shape[1], fo, fi, False, out_dtype)
    r = int(np.abs(conv.offsets).max())
    xp = _wrap_pad(_channels_last(x, fi, m), r)
    out = _shift_matmul(xp, mats, conv.offsets, m, r, out_dtype)
    return _channels_first(out, coeffs.shape[1], fo, m)  # out[p] = sum_o x[p + o] M_o


def _conv_apply_transpose(basis, coeffs, gy):
    conv = basis.conv
    m = conv.grid
    K, fo, fi = conv.table.shape
    out_dtype = np.result_type(gy, coeffs)
    mats = _offset_matrices(conv, coeffs).transpose(0, 2, 1)
    if _use_fourier(conv, gy.shape[0], *mats.shape[1:]):
        return _fourier_apply(conv, mats, gy, coeffs.shape[0], fi, fo, True, out_dtype)
    r = int(np.abs(conv.offsets).max())
    gp = _wrap_pad(_channels_last(gy, fo, m), r)
    out = _shift_matmul(gp, mats, -conv.offsets, m, r, out_dtype)
    return _channels_first(out, coeffs.shape[0], fi, m)  # out[q] = sum_o gy[q - o] M_o^T


def _conv_coeff_grad(basis, x, gy):
    conv = basis.conv
    m = conv.grid
    K, fo, fi = conv.table.shape
    n_in, n_out = x.shape[1], gy.shape[1]
    r = int(np.abs(conv.offsets).max())
    xp = _wrap_pad(_channels_last(x, fi, m), r)
    gt = _channels_last(gy, fo, m)
    grad = np.zeros((n_in, n_out, basis.dim), dtype=np.result_type(x, gy))
    a = np.arange(n_in)[:, None, None, None]
    b = np.arange(n_out)[None, None, :, None]
    for o, (dx, dy) in enumerate(conv.offsets):  # d/dM_o = sum_p x[p + o]^T gy[p]
        g = np.tensordot(xp[:, r + dx:r + dx + m, r + dy:r + dy + m], gt, axes=([0, 1, 2], [0, 1, 2]))
        g = g.reshape(n_in, fi, n_out, fo)
        ids = conv.table[o].T[None, :, None, :]  # table[o, f_out, f_in] at (a, f_in, b, f_out)
        idx = np.broadcast_arrays(a, ids, b)
        np.add.at(grad, (idx[0].ravel(), idx[2].ravel(), idx[1].ravel()), g.ravel())
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
