"""Dropping zero samples before solving, and mapping answers back.

A zero sample does not change the set of subset sums {sum_{i in S} a_i : S}, so a problem
is solved on its nonzero samples only (kept in their original order) and a selected zero
is impossible by construction. Samples of Pensia's distribution D = ½δ_0 + ½Law(UV) are
zero half of the time, so this halves n: 2^(n/2) times less work for meet-in-the-middle.
"""

from __future__ import annotations

import numpy as np

from groups import check_real_array


def compact_nonzero(samples: np.ndarray):
    """Nonzero samples first, per row, in their original order.

    Returns (compacted (P, n), cols (P, n) int64, nnz (P,) int64) with
    compacted[p, i] = samples[p, cols[p, i]], nonzero exactly for i < nnz[p].
    """
    samples = check_real_array("samples", samples, ndim=2, finite=False)
    nonzero = samples != 0
    nnz = nonzero.sum(axis=1).astype(np.int64)
    if nnz.size and nnz.min() == samples.shape[1]:  # no zeros: identity
        cols = np.broadcast_to(np.arange(samples.shape[1], dtype=np.int64), samples.shape)
        return samples, cols, nnz
    cols = np.argsort(~nonzero, axis=1, kind="stable").astype(np.int64)
    return np.take_along_axis(samples, cols, axis=1), cols, nnz


def codes_to_masks(codes: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Masks in original columns from subset codes over the compacted samples.

    Bit i of codes[p] selects compacted sample i, i.e. original column cols[p, i].
    """
    P, n = cols.shape
    bits = np.arange(n, dtype=np.int64)
    selected = ((codes.astype(np.int64)[:, None] >> np.minimum(bits, 62)) & 1).astype(bool)
    selected &= bits < 63
    masks = np.zeros((P, n), dtype=bool)
    np.put_along_axis(masks, np.ascontiguousarray(cols), selected, axis=1)
    return masks


def selection_to_masks(sel: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Masks in original columns from a selection (P, n) bool over the compacted columns."""
    masks = np.zeros(sel.shape, dtype=bool)
    np.put_along_axis(masks, np.ascontiguousarray(cols), sel, axis=1)
    return masks
