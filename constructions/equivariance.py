"""Checking equivariance: f(rho_X(g) x) = rho_Y(g) f(x) for sampled or all g (e3nn style).

The relative error is max_g ||f(rho_X(g) x) - rho_Y(g) f(x)|| / ||f(x)|| over a batch of
random inputs, computed in the inputs' dtype. Tolerances by dtype below.
"""
from __future__ import annotations

import numpy as np

from .actions import Action, closure, inverse, joint, random_elements

TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def group_elements(action_in: Action, action_out: Action, rng: np.random.Generator,
                   count: int = 16, max_all: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Group elements as permutation pairs (on X, on Y): all of them when the group has at
    most ``max_all`` elements on X ⊔ Y, else ``count`` random ones (random walks)."""
    both = joint(action_in, action_out)
    elems = None
    if both.order is None or both.order <= max_all:
        try:
            elems = closure(both, cap=max_all)
        except ValueError:
            elems = None
    if elems is None:
        elems = random_elements(both, count, rng)
    return elems[:, :action_in.size], elems[:, action_in.size:] - action_in.size


def equivariance_error(fn, action_in: Action, action_out: Action, n_fields_in: int, *,
                       rng: np.random.Generator | None = None, batch: int = 3, count: int = 16,
                       dtype=np.float64) -> float:
    """Max relative equivariance error of ``fn``: (batch, n_in, |X|) -> (batch, n_out, |Y|)."""
    rng = rng or np.random.default_rng(0)
    gx, gy = group_elements(action_in, action_out, rng, count=count)
    x = rng.standard_normal((batch, n_fields_in, action_in.size)).astype(dtype)
    fx = fn(x)
    scale = max(float(np.linalg.norm(fx)), np.finfo(dtype).tiny)
    worst = 0.0
    for px, py in zip(gx, gy):
        lhs = fn(np.take(x, inverse(px), axis=-1))
        rhs = np.take(fx, inverse(py), axis=-1)
        worst = max(worst, float(np.linalg.norm(lhs - rhs)) / scale)
    return worst


def _as_layers(obj):
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def network_equivariance_error(layers, **kw) -> float:
    """Equivariance error of a layer or a list of layers (composed with ReLU)."""
    from .network import forward

    layers = _as_layers(layers)
    return equivariance_error(lambda x: forward(layers, x), layers[0].basis.action_in,
                              layers[-1].basis.action_out, layers[0].n_in, **kw)


def assert_equivariant(layers, tol: float | None = None, **kw) -> float:
    """Raise AssertionError if the network's equivariance error exceeds ``tol`` (default:
    the dtype's entry of TOLERANCE); returns the error."""
    err = network_equivariance_error(layers, **kw)
    limit = TOLERANCE[np.dtype(kw.get("dtype", np.float64))] if tol is None else tol
    if not err <= limit:
        raise AssertionError(f"equivariance error {err:.3e} exceeds tolerance {limit:.1e}")
    return err
