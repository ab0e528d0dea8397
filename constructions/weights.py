"""Dense weights in PyTorch layouts <-> orbital coefficients (import and export of layers).

A layer W = sum_{a,b,k} alpha[a,b,k] E_ba ⊗ b_k (THEORY §2) is written densely as
* ``conv`` (lattice field -> lattice field, the basis has a translation table): a Conv2d
  weight (n_out |F_out|, n_in |F_in|, k, k), channel = field * |F| + element of F (field
  major, DESIGN.md), circular padding, cross-correlation as in PyTorch:
  out[c, p] = sum_{c', u, v} w[c, c', u, v] x[c', p + (u, v) - (k // 2, k // 2)],
  so w[:, :, o + k // 2] = M_o^T for the kernel offset o (first pixel axis = first
  lattice coordinate). Padding (before, after) = (k // 2, k - 1 - k // 2) on both pixel
  axes: (k-1)/2 each side for odd k; k/2 before and k/2 - 1 after for even k (C1 only,
  offsets -k/2 .. k/2 - 1; PyTorch's padding="same" pads the other way round).
  Hexagonal lattices: the k x k box of axial offsets, zero outside the hex ball.
* ``linear`` (everything else: MLP, S_n tensors, graphs, and lattice <-> point layers
  such as invariant readouts): the dense matrix (n_out |Y|, n_in |X|), a bias-free
  Linear acting on the features flattened field-major (for lattice fields: torch's
  ``x.flatten(1)`` of (N, C, m, m)). A readout lattice -> point is constant over pixels,
  so it equals sum pooling over the pixels followed by a Linear (n_out, n_in |F_in|);
  :func:`orbital_projection` accepts that pooled shape too.

Import is the orthogonal projection onto span{E_ba ⊗ b_k}: the supports of the b_k are
disjoint, so alpha[a,b,k] is the mean of W's entries on the orbit (a, b, k); the rest,
entries off the support included, is the non-equivariant residual, reported relative
to ||W||_F. The mean is taken as (first entry) + mean(entry - first entry), so a weight
that is exactly equivariant gives back its coefficients bit for bit.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from .mpnn import GraphBasis


def _lattice_side(spec) -> int | None:
    """m when the spec is a lattice field with pixels (not a point field), else None."""
    if spec is None or spec.get("family") not in ("cnn", "steerable") or spec.get("field") == "point":
        return None
    return int(spec["grid"])


def _conv(basis):
    """The translation table of a lattice basis (None for other bases; the Basis protocol
    of the groups redesign gives every basis a ``conv`` attribute)."""
    return getattr(basis, "conv", None)


def feature_shape(spec, n_fields: int, size: int) -> tuple:
    """Per-example shape of the features in PyTorch layout: (C, m, m) on lattice fields
    (C = n_fields |F|), (n_fields |X|,) otherwise."""
    m = _lattice_side(spec)
    return (n_fields * size // (m * m), m, m) if m else (n_fields * size,)


def layout(basis, n_in: int, n_out: int, spec_in=None, spec_out=None) -> dict:
    """kind ("conv" | "linear"), per-example input and output shapes, weight shape and, for
    conv, the kernel size and circular padding (before, after) per pixel axis. The field
    specs give the (C, m, m) shapes of lattice fields around linear layers (else flat)."""
    ny, nx = basis.shape
    conv = _conv(basis)
    if conv is None:
        return {
            "kind": "linear",
            "weight_shape": (n_out * ny, n_in * nx),
            "in_shape": feature_shape(spec_in, n_in, nx),
            "out_shape": feature_shape(spec_out, n_out, ny),
        }
    _, fo, fi = conv.table.shape
    m = conv.grid
    k = int(np.ptp(conv.offsets) + 1)  # the box: odd k, or even k (C1) with offsets -k/2 .. k/2 - 1
    return {
        "kind": "conv",
        "weight_shape": (n_out * fo, n_in * fi, k, k),
        "kernel": k,
        "padding": (k // 2, k - 1 - k // 2),
        "in_shape": (n_in * fi, m, m),
        "out_shape": (n_out * fo, m, m),
    }


def dense_weight(basis, coeffs: np.ndarray) -> np.ndarray:
    """The layer as a dense weight in its PyTorch layout (module docstring)."""
    coeffs = np.asarray(coeffs)
    n_in, n_out, _ = coeffs.shape
    if _conv(basis) is None:
        return basis.dense(coeffs)
    lay = layout(basis, n_in, n_out)
    conv, k = basis.conv, lay["kernel"]
    _, fo, fi = conv.table.shape
    vals = coeffs[:, :, conv.table]  # (n_in, n_out, K, fo, fi)
    w = np.zeros(lay["weight_shape"], dtype=coeffs.dtype)
    u, v = (conv.offsets + k // 2).T
    w[:, :, u, v] = vals.transpose(1, 3, 0, 4, 2).reshape(n_out * fo, n_in * fi, -1)
    return w


# ---------------------------------------------------------------------------- import
def orbit_means(values: np.ndarray, ids: np.ndarray, dim: int):
    """For values (P, N) on support entries with orbit ids (N,): the per-orbit means
    (P, dim), computed as first + mean(value - first), and the squared residual per row."""
    _, first = np.unique(ids, return_index=True)
    if first.size != dim:
        raise AssertionError(f"the support lists {first.size} orbits, the basis has {dim}")
    rep = values[:, first]
    dev = values - rep[:, ids]
    member = csr_matrix((np.ones(ids.size), (ids, np.arange(ids.size))), shape=(dim, ids.size))
    means = rep + (member @ dev.T).T / np.bincount(ids, minlength=dim)
    resid = values - means[:, ids]
    return means, np.einsum("pn,pn->p", resid, resid)


def _support(basis):
    """(rows, cols, ids) of the basis' support (for GraphBasis: I on the diagonal, A on the edges)."""
    if isinstance(basis, GraphBasis):
        if basis.graphs != 1 or not np.isin(basis.adjacency, (0.0, 1.0)).all():
            raise ValueError("importing a message-passing layer needs a basis bound to ONE unweighted graph")
        i, j = np.nonzero(basis.adjacency[0])
        d = np.arange(basis.n)
        return np.concatenate([d, i]), np.concatenate([d, j]), np.concatenate([np.zeros_like(d), np.ones_like(i)])
    return basis.rows, basis.cols, basis.ids


def _check_weight(weight, shape, name) -> np.ndarray:
    w = np.asarray(weight)
    if w.dtype.kind not in "fiu":
        raise ValueError(f"{name}: weights must be real numbers, got dtype {w.dtype}")
    if w.shape != tuple(shape):
        raise ValueError(f"{name}: shape {w.shape}, this layer needs {tuple(shape)}")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name}: weights hold NaN or inf")
    return w


def orbital_projection(basis, weight, n_in: int, n_out: int, name: str = "weight", spec_in=None):
    """(coeffs (n_in, n_out, |B|), relative residual ||W - P W||_F / ||W||_F) of a dense
    weight in the layer's PyTorch layout (or, for a readout from the lattice field
    ``spec_in``, the sum-pooled shape (n_out |Y|, n_in |F_in|))."""
    if spec_in is not None and not isinstance(spec_in, dict):
        raise ValueError(f"spec_in must be a field spec (a dict) or None, got {spec_in!r:.80}")
    lay = layout(basis, n_in, n_out, spec_in)
    weight = np.asarray(weight)
    if lay["kind"] != "conv":
        pooled = (lay["out_shape"][0], lay["in_shape"][0])
        if len(lay["in_shape"]) == 3 and len(lay["out_shape"]) == 1 and weight.shape == pooled:
            weight = np.repeat(weight, lay["in_shape"][1] * lay["in_shape"][2], axis=1)  # sum-pooled readout
    w = _check_weight(weight, lay["weight_shape"], name)
    # scale-free: project w / 2^e with max|w / 2^e| in [0.5, 1) (exact: a power of two), so the
    # squared norms neither underflow (weights ~1e-200) nor overflow (~1e200)
    top = float(np.max(np.abs(w), initial=0.0))
    e = int(np.frexp(top)[1]) if top > 0 else 0
    scaled = np.ldexp(w, -e)
    if lay["kind"] == "conv":
        coeffs, resid_sq = _conv_projection(basis.conv, scaled, n_in, n_out)
    else:
        coeffs, resid_sq = _dense_projection(basis, scaled, n_in, n_out)
    norm = float(np.linalg.norm(scaled))
    return np.ldexp(coeffs, e), (float(np.sqrt(resid_sq)) / norm if norm > 0 else 0.0)


def _conv_projection(conv, w, n_in, n_out):
    K, fo, fi = conv.table.shape
    k = w.shape[-1]
    u, v = (conv.offsets + k // 2).T
    inside = np.zeros((k, k), dtype=bool)
    inside[u, v] = True
    off_sq = float(np.sum(w[:, :, ~inside] ** 2))  # hexagonal kernels: box entries outside the hex ball
    vals = w[:, :, u, v].reshape(n_out, fo, n_in, fi, K).transpose(2, 0, 4, 1, 3)  # (a, b, K, fo, fi)
    means, resid = orbit_means(vals.reshape(n_in * n_out, -1), conv.table.ravel(), int(conv.table.max()) + 1)
    return means.reshape(n_in, n_out, -1), float(resid.sum()) + off_sq


def _dense_projection(basis, w, n_in, n_out):
    ny, nx = basis.shape
    rows, cols, ids = _support(basis)
    w4 = w.reshape(n_out, ny, n_in, nx)
    vals = w4[:, rows, :, cols]  # (nnz, n_out, n_in)
    off = w4.copy()
    off[:, rows, :, cols] = 0.0
    means, resid = orbit_means(vals.transpose(2, 1, 0).reshape(n_in * n_out, -1), ids, basis.dim)
    return means.reshape(n_in, n_out, -1), float(resid.sum()) + float(np.sum(off * off))
