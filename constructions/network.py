"""The NumPy equivariant network engine (THEORY.md §2).

f(x) = W_l relu(W_{l-1} ... relu(W_1 x)), no biases; W_i = sum_{a,b,k} coeffs_i[a,b,k]
E_ba ⊗ b^i_k with b^i the orbital basis of layer i. A layer is its basis and its
coefficients (n_in, n_out, |B|); features are batches (batch, n_fields, |X|), float64 by
default (float32 when both inputs and coefficients are float32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groups import check_flag, check_generator, check_int, check_memory, check_real, check_real_array

from .protocol import Basis


@dataclass(frozen=True, eq=False)
class Layer:
    """An equivariant linear layer: basis + coefficients[a, b, k] (n_in, n_out, |B|)."""

    basis: Basis
    coeffs: np.ndarray

    def __post_init__(self):
        if not _is_basis(self.basis):
            raise ValueError(f"a Layer needs a basis (constructions.basis(...)), got {type(self.basis).__name__}")
        c = check_real_array("coefficients", self.coeffs, keep_float32=True)
        if c.ndim != 3 or c.shape[2] != self.basis.dim:
            raise ValueError(
                f"coefficients must have shape (n_in, n_out, {self.basis.dim}) for this basis, got {c.shape}"
            )
        if c.shape[0] < 1 or c.shape[1] < 1:
            raise ValueError(f"a layer needs at least one input and one output field, got shape {c.shape}")
        object.__setattr__(self, "coeffs", c)

    @property
    def n_in(self) -> int:
        return int(self.coeffs.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.coeffs.shape[1])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        check_features(x, self.n_in, self.basis.shape[1])
        return self.basis.apply(self.coeffs.astype(x.dtype, copy=False), x)

    def dense(self) -> np.ndarray:
        return self.basis.dense(self.coeffs)


def _is_basis(obj) -> bool:
    """A cheap test for the Basis protocol (isinstance on the Protocol costs ~20 us)."""
    return hasattr(obj, "dim") and hasattr(obj, "apply") and hasattr(obj, "shape")


def check_basis(key: str, value):
    """``value`` if it implements the Basis protocol (:func:`_is_basis`), else a ValueError naming ``key``."""
    if not _is_basis(value):
        raise ValueError(f"{key} must be a basis (constructions.basis(...)), got {value!r:.80}")
    return value


def check_features(x: np.ndarray, n_fields: int, size: int) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[1:] != (n_fields, size):
        shape = getattr(x, "shape", None)
        raise ValueError(f"features must have shape (batch, {n_fields}, {size}), got {shape}")
    if x.dtype.kind != "f":
        raise ValueError(f"features must be a float array (float64 or float32), got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError("features must be finite (found NaN or inf)")


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def check_chain(layers) -> None:
    """Consecutive layers must agree on field counts and field types."""
    if not layers:
        raise ValueError("a network needs at least one layer")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise ValueError(f"layer {i + 1} must be a constructions.Layer, got {type(layer).__name__}")
    for i, (a, b) in enumerate(zip(layers, layers[1:])):
        if a.n_out != b.n_in:
            raise ValueError(f"layer {i + 1} outputs {a.n_out} fields but layer {i + 2} takes {b.n_in}")
        if a.basis.shape[0] != b.basis.shape[1] or a.basis.action_out.group != b.basis.action_in.group:
            raise ValueError(f"layer {i + 1}'s output field type does not match layer {i + 2}'s input field type")


def forward(layers, x: np.ndarray, activations: bool = False):
    """f(x) for a batch x (batch, n_0, |X_0|); with ``activations`` also the list of
    pre-activations z_i = W_i relu(z_{i-1}) (z_0 = x)."""
    check_chain(layers)
    activations = check_flag("activations", activations)
    zs = [x]
    h = x
    for i, layer in enumerate(layers):
        h = layer(h if i == 0 else relu(h))
        zs.append(h)
    return (h, zs) if activations else h


def random_coefficients(basis: Basis, n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """i.i.d. Uniform[-1, 1] coefficients of shape (n_in, n_out, |B|)."""
    n_in, n_out = check_int("n_in", n_in, 1), check_int("n_out", n_out, 1)
    check_memory(8 * n_in * n_out * basis.dim, f"{n_in:,} x {n_out:,} x {basis.dim:,} coefficients", "use fewer fields")
    return check_generator("rng", rng).uniform(-1.0, 1.0, size=(n_in, n_out, basis.dim))


def op_norm(layer: Layer, rng: np.random.Generator | None = None) -> float:
    """||W||_op, as the layer's basis computes it: exact by Fourier block-diagonalisation
    for lattice (translation) layers, dense SVD for small layers, otherwise Lanczos (ARPACK
    svds, tol 1e-12) on the matrix-free map; graph-bound bases take the max over their graphs."""
    return layer.basis.op_norm(layer.coeffs, rng)


def normalize_layer(layer: Layer, target: float = 1.0) -> tuple[Layer, float]:
    """Rescale so that ||W||_op <= target (the theorem's assumption); returns the layer and
    the factor applied (1 if already within)."""
    target = check_real("target", target, 0, None)
    norm = op_norm(layer)
    if norm <= target:
        return layer, 1.0
    factor = target / (norm * (1 + 1e-12))
    return Layer(layer.basis, layer.coeffs * factor), factor


def random_network(bases, channels, rng: np.random.Generator, normalize: bool = True) -> list[Layer]:
    """Random target: coefficients Uniform[-1, 1], each layer rescaled to ||W_i||_op <= 1."""
    if len(channels) != len(bases) + 1:
        raise ValueError(f"need len(channels) = len(bases) + 1, got {len(channels)} and {len(bases)}")
    rng = check_generator("rng", rng)
    normalize = check_flag("normalize", normalize)
    for i, b in enumerate(bases):
        if not _is_basis(b):
            raise ValueError(f"bases[{i}] must be a basis (constructions.basis(...)), got {type(b).__name__}")
    channels = [check_int(f"channels[{i}]", c, 1) for i, c in enumerate(channels)]
    check_memory(
        8 * sum(c * d * b.dim for c, d, b in zip(channels, channels[1:], bases)),
        f"the target coefficients (channels {channels})",
        "use fewer channels",
    )
    layers = [Layer(b, random_coefficients(b, channels[i], channels[i + 1], rng)) for i, b in enumerate(bases)]
    if normalize:
        layers = [normalize_layer(layer)[0] for layer in layers]
    check_chain(layers)
    return layers


def backward(layers, zs, g_out: np.ndarray, coeff_grads: bool = True):
    """Reverse-mode derivative of ``forward``: given the pre-activations ``zs`` returned by
    ``forward(layers, x, activations=True)`` and g_out = dL/df(x), return (dL/dx, [dL/dcoeffs_i])
    (the coefficient list is None when ``coeff_grads`` is False).

    z_i = W_i u_i with u_1 = x, u_i = relu(z_{i-1}): dL/du_i = W_i^T dL/dz_i,
    dL/dz_{i-1} = 1[z_{i-1} > 0] dL/du_i, dL/dcoeffs_i = coeff_grad(u_i, dL/dz_i).
    """
    g = g_out
    grads = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        u = zs[i] if i == 0 else relu(zs[i])
        if coeff_grads:
            grads[i] = layer.basis.coeff_grad(u, g)
        g = layer.basis.apply_transpose(layer.coeffs, g)
        if i > 0:
            g = g * (zs[i] > 0)
    return g, (grads if coeff_grads else None)
