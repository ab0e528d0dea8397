"""Training bias-free equivariant ReLU networks in NumPy (targets for the SLT construction).

A network is a list of :class:`~constructions.network.Layer` (THEORY.md §2, no biases).
Backpropagation (``network.backward``) uses only the engine's basis methods: for
z_i = W_i a_{i-1}, a_i = relu(z_i) (a_0 = x),
    dL/dcoeffs_i = basis_i.coeff_grad(a_{i-1}, dL/dz_i),
    dL/dz_{i-1} = basis_i.apply_transpose(coeffs_i, dL/dz_i) * [z_{i-1} > 0].
Losses: softmax cross-entropy on class logits (the last layer outputs one-point fields,
logits = output[:, :, 0]) and the squared loss for regression. The optimiser is Adam on
mini-batches; every random draw comes from one ``numpy.random.Generator``.

Mini-batches are (key, x, y) triples; ``bind(layers, key)`` may return the same
coefficients on bases adapted to the batch (graph sizes of an IGN, the adjacency of a
message-passing basis). Coefficients do not depend on the key.

After training, :func:`rescale_network` divides every layer by its operator norm so that
||W_i||_op <= 1 (the theorem's assumption). A bias-free ReLU network is positively
homogeneous layer by layer, so the rescaled network's outputs are the original outputs
times the product of the factors ("logit factor"): predictions do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from groups import check_int, check_real

from .network import Layer, backward, check_chain, forward, op_norm

LOSSES = ("cross_entropy", "squared")


# ---------------------------------------------------------------------- losses
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer ``labels`` under softmax(``logits``) (batch, classes),
    and its gradient with respect to the logits."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"need logits (batch, classes) and labels (batch,), got {logits.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"labels must be in [0, {logits.shape[1]}), got range [{labels.min()}, {labels.max()}]")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(labels.size)
    loss = float(np.mean(log_z - shifted[rows, labels]))
    grad = np.exp(shifted - log_z[:, None])
    grad[rows, labels] -= 1.0
    return loss, grad / labels.size


def squared_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """0.5 * mean over the batch of ||pred - target||^2, and its gradient."""
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64).reshape(pred.shape[0], -1)
    pred2 = pred.reshape(pred.shape[0], -1)
    if pred2.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} do not match")
    diff = pred2 - target
    return float(0.5 * np.mean(np.sum(diff**2, axis=1))), (diff / pred.shape[0]).reshape(pred.shape)


def logits_of(out: np.ndarray) -> np.ndarray:
    """Class logits (batch, classes) from a network output of one-point fields (batch, classes, 1)."""
    if out.ndim != 3 or out.shape[2] != 1:
        raise ValueError(
            f"a classifier's last layer must output one-point fields (batch, classes, 1); "
            f"got output shape {out.shape} (end with an invariant readout to a 'point' field)"
        )
    return out[:, :, 0]


# ---------------------------------------------------------------------- backprop
def loss_and_grad(layers, x: np.ndarray, y: np.ndarray, loss: str = "cross_entropy"):
    """(loss, coefficient gradients, network output) on one batch."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: use one of {', '.join(LOSSES)}")
    out, zs = forward(layers, x, activations=True)
    if loss == "cross_entropy":
        value, g = softmax_cross_entropy(logits_of(out), y)
        g = g[:, :, None]
    else:
        value, g = squared_loss(out, y)
    return value, backward(layers, zs, g)[1], out


# ---------------------------------------------------------------------- initialisation
def init_network(bases, channels, rng: np.random.Generator) -> list[Layer]:
    """He-normal initialisation: coefficients N(0, 2 / fan_in) (1 / fan_in for the last
    layer), fan_in = n_in * (row sum of sum_k b_k, ``basis.fan_in()``)."""
    if len(channels) != len(bases) + 1:
        raise ValueError(f"need len(channels) = len(bases) + 1, got {len(channels)} and {len(bases)}")
    layers = []
    for i, basis in enumerate(bases):
        gain = 1.0 if i == len(bases) - 1 else 2.0
        std = np.sqrt(gain / (channels[i] * basis.fan_in()))
        layers.append(Layer(basis, rng.normal(0.0, std, size=(channels[i], channels[i + 1], basis.dim))))
    check_chain(layers)
    return layers


def mean_direction(basis, u: np.ndarray) -> np.ndarray | None:
    """Unit direction of mu[a, k] = mean over inputs and output positions of (b_k u_a)
    (``coeff_grad(u, ones)``): the pre-activation of output channel b has mean
    sum_{a,k} c[a, b, k] mu[a, k] over the batch and the positions. None if mu = 0."""
    mu = basis.coeff_grad(u, np.ones((u.shape[0], 1, basis.shape[0])))[:, 0, :]
    norm = np.linalg.norm(mu)
    return mu / norm if norm > 0 else None


def _centre(c: np.ndarray, d: np.ndarray | None) -> np.ndarray:
    """Remove the direction d (n_in, K) from every output channel's coefficients."""
    if d is None:
        return c
    return c - np.einsum("abk,ak->b", c, d)[None, :, None] * d[:, None, :]


def data_init(layers, x: np.ndarray) -> list[Layer]:
    """Data-dependent start (layer by layer, on a batch ``x``): remove from every output
    channel's coefficients the direction of the mean input statistic (:func:`mean_direction`),
    so that each channel's pre-activation has zero mean over the batch and the positions (no
    ReLU dead or always on for all inputs at the start: without biases, e.g. a global
    readout of nonnegative features would otherwise fix the sign of half its channels), then
    scale the layer so that its pre-activations have unit variance. Graph-bound layers must
    be bound to x's graphs."""
    out = list(layers)
    for i in range(len(out)):
        _, zs = forward(out[: i + 1], x, activations=True)
        u = zs[0] if i == 0 else np.maximum(zs[i], 0)
        basis = out[i].basis
        c = _centre(out[i].coeffs, mean_direction(basis, u))
        std = float(basis.apply(c, u).std())
        out[i] = Layer(basis, c / std if std > 0 else c)
    return out


def revive_dead_units(net, params, x: np.ndarray, rng: np.random.Generator, opt=None) -> int:
    """Re-initialise dead hidden channels (ReLU off for every probe input and position),
    ReDo style (Sokar et al. 2023, "The dormant neuron phenomenon"): fresh incoming
    coefficients, centred (:func:`_centre`) and scaled like the live channels of the layer,
    outgoing coefficients set to 0 (the network function is unchanged at that moment) and
    the Adam moments of both reset. ``net``: the layers (bound to x's graphs) whose
    coefficients are ``params`` (updated in place). Returns the number of channels revived."""
    _, zs = forward(net, x, activations=True)
    revived = 0
    for i in range(len(net) - 1):
        z = zs[i + 1]
        dead = np.all(z <= 0, axis=(0, 2))
        if not dead.any():
            continue
        u = zs[0] if i == 0 else np.maximum(zs[i], 0)
        basis = net[i].basis
        fresh = _centre(
            rng.standard_normal((params[i].shape[0], int(dead.sum()), params[i].shape[2])), mean_direction(basis, u)
        )
        live_std = float(z[:, ~dead].std()) if not dead.all() else 1.0
        fresh_std = float(basis.apply(fresh, u).std())
        params[i][:, dead, :] = fresh * (live_std / fresh_std if fresh_std > 0 and live_std > 0 else 1.0)
        params[i + 1][dead, :, :] = 0.0
        if opt is not None and opt.m:
            for j, sl in ((i, (slice(None), dead)), (i + 1, (dead,))):
                opt.m[j][sl] = 0.0
                opt.v[j][sl] = 0.0
        revived += int(dead.sum())
    return revived


# ---------------------------------------------------------------------- optimiser
@dataclass
class Adam:
    """Adam (Kingma & Ba) on a list of arrays, with decoupled weight decay (AdamW)."""

    lr: float = 3e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    t: int = 0
    m: list = field(default_factory=list)
    v: list = field(default_factory=list)

    def step(
        self, params: list[np.ndarray], grads: list[np.ndarray], lr: float | None = None, scales=None
    ) -> list[np.ndarray]:
        """One update; ``scales[i]`` multiplies the step of array i (per-layer learning rates)."""
        lr = self.lr if lr is None else lr
        scales = [1.0] * len(params) if scales is None else scales
        if not self.m:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        c1, c2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            step = lr * scales[i] * (self.m[i] / c1) / (np.sqrt(self.v[i] / c2) + self.eps)
            out.append(p * (1 - lr * self.weight_decay) - step)
        return out


def minibatches(x: np.ndarray, y: np.ndarray, batch_size: int):
    """A batch source for :func:`train`: shuffled (indices, x[idx], y[idx]) each epoch."""
    check_batch_size(batch_size)
    if len(x) != len(y):
        raise ValueError(f"inputs and labels differ in length: {len(x)} vs {len(y)}")

    def source(rng: np.random.Generator):
        order = rng.permutation(len(x))
        for s in range(0, len(x), batch_size):
            idx = order[s : s + batch_size]
            yield idx, x[idx], y[idx]

    return source


def check_batch_size(batch_size) -> int:
    return check_int("batch size", batch_size, 1)


@dataclass
class TrainResult:
    layers: list
    losses: list  # mean training loss per epoch
    seconds: float
    revived: list = field(default_factory=list)  # dead hidden channels re-initialised after each epoch


def train(
    layers,
    batches,
    *,
    epochs: int = 20,
    lr: float = 3e-3,
    seed: int = 0,
    loss: str = "cross_entropy",
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    bind=None,
    log=None,
    probe=None,
    warmup: float = 0.05,
) -> TrainResult:
    """Mini-batch Adam on the coefficients of ``layers``.

    ``batches``: a callable rng -> iterable of (key, x, y) (e.g. :func:`minibatches`);
    ``bind(layers, key)``: the network to use on that batch (default: ``layers`` itself);
    ``schedule``: "cosine" (learning rate decays to 0 over the run) or "constant", after a
    linear warm-up over the first ``warmup`` fraction of the steps.
    Steps are relative to each layer's scale: layer i moves by about ``lr`` times the RMS of
    its initial coefficients per step (Adam is blind to scale, and the fan-in of an orbital
    basis ranges from 1 to |X|, e.g. a global readout). Deterministic given ``seed``.

    ``probe``: (key, x) of a fixed batch; after every epoch but the last, hidden channels
    dead on all of it are re-initialised (:func:`revive_dead_units`; the counts are in
    ``TrainResult.revived``). Without biases, ReLU units after a global readout of
    nonnegative features die easily (their mean is a common mode that Adam moves fast).
    """
    import time

    check_int("epochs", epochs, 1)
    check_real("weight_decay", weight_decay, 0, None, low_open=False)
    if not lr > 0:
        raise ValueError(f"learning rate must be > 0, got {lr!r}")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if not 0 <= warmup < 1:
        raise ValueError(f"warmup must be a fraction in [0, 1), got {warmup!r}")
    rng = np.random.default_rng(seed)
    bases = [layer.basis for layer in layers]
    params = [layer.coeffs.astype(np.float64, copy=True) for layer in layers]
    opt = Adam(lr=lr, weight_decay=weight_decay)
    scales = [float(np.sqrt(np.mean(p**2))) or 1.0 for p in params]
    history, revived = [], []
    start = time.perf_counter()
    total = epochs * sum(1 for _ in batches(np.random.default_rng(0)))  # steps (same every epoch)
    for epoch in range(epochs):
        values, weights = [], []
        for key, xb, yb in batches(rng):
            net = [Layer(b, p) for b, p in zip(bases, params)]
            if bind is not None:
                net = bind(net, key)
            value, grads, _ = loss_and_grad(net, xb, yb, loss)
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"training diverged (loss {value}) at epoch {epoch + 1}; lower the learning rate"
                )
            rate = lr if schedule == "constant" else lr * 0.5 * (1 + np.cos(np.pi * opt.t / total))
            if opt.t < warmup * total:
                rate *= (opt.t + 1) / (warmup * total)
            params = opt.step(params, grads, rate, scales)
            values.append(value)
            weights.append(len(xb))
        history.append(float(np.average(values, weights=weights)))
        if probe is not None and epoch < epochs - 1:
            key, xp = probe
            net = [Layer(b, p) for b, p in zip(bases, params)]
            revived.append(revive_dead_units(net if bind is None else bind(net, key), params, xp, rng, opt))
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f}" + (f", revived {revived[-1]}" if revived else ""))
    return TrainResult([Layer(b, p) for b, p in zip(bases, params)], history, time.perf_counter() - start, revived)


# ---------------------------------------------------------------------- rescaling
def rescale_network(layers, norm=op_norm, target: float = 1.0):
    """Divide each layer by its operator norm, so ||W_i||_op = target / (1 + 1e-9) <= target.

    Returns (layers, factors, logit_factor): the rescaled network computes
    logit_factor * f(x) with logit_factor = prod(factors) (positive homogeneity of ReLU).
    ``norm(layer)`` (default ||W||_op as the basis computes it: graph-bound bases take the
    max over their graphs) may be replaced, e.g. by a max over the graph sizes of a data set.
    """
    target = check_real("target", target, 0, None)
    out, factors = [], []
    for i, layer in enumerate(layers):
        value = float(norm(layer))
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"layer {i + 1} has operator norm {value}: cannot rescale a zero layer")
        factor = target / (value * (1 + 1e-9))
        out.append(Layer(layer.basis, layer.coeffs * factor))
        factors.append(factor)
    return out, factors, float(np.prod(factors))


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == np.asarray(labels)))
