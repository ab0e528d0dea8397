"""An implementation of exported networks written for the tests, independent of the engine and of
``constructions.export``: circular cross-correlation by explicit modular indexing, dense Linear
layers on flattened features, ReLU between layers (the layouts README.md and
``constructions/weights.py`` document)."""

import numpy as np


def circular_correlation(x, w):
    """out[n, o, i, j] = sum_{c,u,v} w[o, c, u, v] x[n, c, (i + u - k//2) % m, (j + v - k//2) % m]."""
    m, k = x.shape[-1], w.shape[-1]
    idx = (np.arange(m)[:, None] + np.arange(k)[None, :] - k // 2) % m  # (m, k)
    patches = x[:, :, idx[:, None, :, None], idx[None, :, None, :]]  # (N, C, m, m, k, k)
    return np.einsum("ocuv,ncijuv->noij", w, patches)


def numpy_forward(weights, x, m):
    """Exported weights on flat per-example inputs x (N, D): conv for 4-D weights (m x m
    pixels), Linear for 2-D ones, ReLU between layers; returns (N, D_out)."""
    h = x
    for i, w in enumerate(weights):
        if i:
            h = np.maximum(h, 0)
        if w.ndim == 4:
            h = circular_correlation(h.reshape(h.shape[0], w.shape[1], m, m), w)
        else:
            h = h.reshape(h.shape[0], -1) @ w.T
        h = h.reshape(h.shape[0], -1)
    return h
