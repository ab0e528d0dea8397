"""The translation (lattice) path of the engine: layers of Z_m^2 ⋊ H bases as convolutions.

For a lattice basis the orbit of ((f', p), (f, p + o)) depends only on (o, f', f)
(:class:`~constructions.protocol.ConvTable`), so for each kernel offset o a dense channel
matrix M_o[(a, f_in), (b, f_out)] = coeffs[a, b, table[o, f_out, f_in]] is assembled and
y[p] = sum_o M_o^T x[p + o]: one BLAS matmul per offset, or, for narrow layers, one
complex product per frequency of the 2-D DFT over the torus (the convolution theorem).
The same DFT block-diagonalises W, which gives ||W||_op exactly (:func:`conv_op_norm`).
"""

from __future__ import annotations

import numpy as np

from .protocol import CHUNK_FLOATS, ConvTable

#: np.matmul on strided windows up to this many channels each way, 2-D gemms above
_STRIDED_MAX_CHANNELS = 256
#: the Fourier route needs at least this many kernel offsets (flop break-even is about 4:
#: a complex multiply-add costs 4 real ones and rfft2 keeps about half of the m^2
#: frequencies) and this many batch items (building the symbols W(w) costs like one item)
_FOURIER_MIN_OFFSETS = 5
_FOURIER_MIN_BATCH = 4
#: complex working set per frequency chunk of the Fourier route (complex entries)
_FOURIER_CHUNK = 4_000_000


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
            out += np.matmul(tp[:, r + dx : r + dx + m, r + dy : r + dy + m], mats[o])
        return out
    out = np.empty((batch, m, m, c_out), dtype=out_dtype)
    if c_in <= c_out:
        w = mats.reshape(K * c_in, c_out)
        step = max(1, CHUNK_FLOATS // (m * m * K * c_in))
        for s in range(0, batch, step):
            t = tp[s : s + step]
            cols = np.empty((t.shape[0], m, m, K, c_in), dtype=tp.dtype)
            for o, (dx, dy) in enumerate(shifts):
                cols[:, :, :, o] = t[:, r + dx : r + dx + m, r + dy : r + dy + m]
            out[s : s + step] = (cols.reshape(-1, K * c_in) @ w).reshape(-1, m, m, c_out)
    else:
        w = mats.transpose(1, 0, 2).reshape(c_in, K * c_out)
        step = max(1, CHUNK_FLOATS // (side * side * max(K * c_out, c_in)))
        for s in range(0, batch, step):
            t = tp[s : s + step]
            prod = (t.reshape(-1, c_in) @ w).reshape(t.shape[0], side, side, K, c_out)
            acc = np.zeros((t.shape[0], m, m, c_out), dtype=out_dtype)
            for o, (dx, dy) in enumerate(shifts):
                acc += prod[:, r + dx : r + dx + m, r + dy : r + dy + m, o]
            out[s : s + step] = acc
    return out


def _use_fourier(conv: ConvTable, batch: int, c_in: int, c_out: int) -> bool:
    """The Fourier route for layers up to _STRIDED_MAX_CHANNELS wide (measured 1.8x faster
    than strided matmuls for 128 channels, 3x3 kernels, 28x28, batch 64); wide layers keep
    their 2-D gemms, which were measured as fast as the Fourier route there."""
    return (
        len(conv.offsets) >= _FOURIER_MIN_OFFSETS
        and batch >= _FOURIER_MIN_BATCH
        and max(c_in, c_out) <= _STRIDED_MAX_CHANNELS
    )


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
        symbols = (phase[s : s + step] @ flat).reshape(-1, c_in, c_out)
        np.matmul(xf[s : s + step], symbols, out=yf[s : s + step])
    yf = yf.transpose(1, 2, 0).reshape(batch, c_out, m, half)
    out = np.fft.irfft2(yf, s=(m, m), axes=(2, 3))
    return out.reshape(batch, n_out, fo * m * m).astype(out_dtype, copy=False)


def conv_apply(conv: ConvTable, coeffs, x):
    """W x, out[p] = sum_o x[p + o] M_o (channels at each pixel p)."""
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


def conv_apply_transpose(conv: ConvTable, coeffs, gy):
    """W^T gy, out[q] = sum_o gy[q - o] M_o^T."""
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


def conv_coeff_grad(conv: ConvTable, x, gy, dim: int):
    """d <gy, W x> / d coeffs (n_in, n_out, dim): d/dM_o = sum_p x[p + o]^T gy[p]."""
    m = conv.grid
    K, fo, fi = conv.table.shape
    n_in, n_out = x.shape[1], gy.shape[1]
    r = int(np.abs(conv.offsets).max())
    xp = _wrap_pad(_channels_last(x, fi, m), r)
    gt = _channels_last(gy, fo, m)
    grad = np.zeros((n_in, n_out, dim), dtype=np.result_type(x, gy))
    a = np.arange(n_in)[:, None, None, None]
    b = np.arange(n_out)[None, None, :, None]
    for o, (dx, dy) in enumerate(conv.offsets):  # d/dM_o = sum_p x[p + o]^T gy[p]
        g = np.tensordot(xp[:, r + dx : r + dx + m, r + dy : r + dy + m], gt, axes=([0, 1, 2], [0, 1, 2]))
        g = g.reshape(n_in, fi, n_out, fo)
        ids = conv.table[o].T[None, :, None, :]  # table[o, f_out, f_in] at (a, f_in, b, f_out)
        idx = np.broadcast_arrays(a, ids, b)
        np.add.at(grad, (idx[0].ravel(), idx[2].ravel(), idx[1].ravel()), g.ravel())
    return grad


def conv_op_norm(conv: ConvTable, coeffs) -> float:
    """||W||_op of a translation-equivariant lattice layer, exactly (up to float64 rounding).

    (W x)[p] = sum_o M_o^T x[p + o] (channels at each pixel p of the m x m torus) is
    block-circulant; the unitary 2-D DFT block-diagonalises it with blocks (symbols)
    S(w) = sum_o M_o^T exp(2 pi i w.o / m), so ||W||_op = max_w sigma_max(S(w)).
    Frequencies with provably equal sigma_max are computed once (:func:`frequency_orbits`):
    S(-w) = conj S(w) for real coefficients, and a point-group symmetry (A, pi_out, pi_in)
    of the table (M_{A o} = Pi_in M_o Pi_out^T) gives S(w) = Pi_out S(A^T w) Pi_in^T.
    Singular values of the representatives' symbols by batched LAPACK (gesdd, values
    only) with one BLAS thread: small complex blocks, where threads only contend (a
    16-field D4 layer on 28x28 was measured 40x slower with 2 threads on a loaded machine).
    """
    m = conv.grid
    mats = _offset_matrices(conv, coeffs)  # (K, C_in, C_out)
    K, c_in, c_out = mats.shape
    reps = frequency_orbits(conv)
    w = np.stack(np.divmod(reps, m), axis=1)
    phase = np.exp(2j * np.pi * (w @ conv.offsets.T) / m)  # (R, K)
    flat = mats.reshape(K, c_in * c_out)
    step = max(1, _FOURIER_CHUNK // (c_in * c_out))
    best = 0.0
    with _one_blas_thread():
        for s in range(0, len(reps), step):
            symbols = (phase[s : s + step] @ flat).reshape(-1, c_in, c_out)  # S(w)^T: same singular values
            best = max(best, float(np.linalg.svd(symbols, compute_uv=False)[:, 0].max()))
    return best


def frequency_orbits(conv: ConvTable) -> np.ndarray:
    """One frequency index u m + v per class of frequencies whose symbols have equal
    singular values: the orbits of w -> -w and w -> A^T w (mod m) for every symmetry
    (A, offset_image, perm_out, perm_in) of ``conv`` that is verified on its table
    (offsets[offset_image] = offsets A^T and table[offset_image][:, perm_out][:, :, perm_in]
    = table, exact integer checks; an unverified one is not used). Cached per table."""
    cached = _ORBITS.get(id(conv))
    if cached is not None and cached[0] is conv:
        return cached[1]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = conv.grid
    u, v = np.divmod(np.arange(m * m), m)
    images = [((-u) % m) * m + (-v) % m]
    for A, o_img, p_out, p_in in conv.symmetries:
        A = np.asarray(A)
        if (
            A.shape == (2, 2)
            and np.array_equal(conv.offsets[o_img], conv.offsets @ A.T)
            and np.array_equal(conv.table[o_img][:, p_out][:, :, p_in], conv.table)
        ):
            images.append(((A[0, 0] * u + A[1, 0] * v) % m) * m + (A[0, 1] * u + A[1, 1] * v) % m)
    n = m * m
    graph = coo_matrix(
        (np.ones(n * len(images), dtype=np.int8), (np.tile(np.arange(n), len(images)), np.concatenate(images))),
        shape=(n, n),
    )
    _, label = connected_components(graph, directed=True, connection="weak")
    _, reps = np.unique(label, return_index=True)
    if len(_ORBITS) >= 256:
        _ORBITS.clear()
    _ORBITS[id(conv)] = (conv, reps)
    return reps


#: frequency_orbits per ConvTable (keyed by id, holding the table so the id stays its own)
_ORBITS: dict = {}


def _one_blas_thread():
    """Limit BLAS to one thread (threadpoolctl, a dependency) for the block below."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
