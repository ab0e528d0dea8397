"""The strong lottery ticket, built: prune a random 2l-layer network to a target (THEORY §3).

Random network (Theorem 1): for target layer i (n_{i-1} fields of X_{i-1} -> n_i fields of
X_i, basis B_i), layer 2i-1 maps n_{i-1} fields to ñ_i = n_{i-1} m_i fields of X_{i-1}
with the full orbital basis H_i of Hom_G(R^X, R^X) (coefficients lambda), layer 2i maps
ñ_i fields to n_i fields with B_i (coefficients mu); all i.i.d. Uniform[-1, 1].

Pruning. Intermediate field j = a m + t (t < m) belongs to block J_a of input field a.
Layer 2i-1 keeps, for j in J_a, only the diagonal orbitals P_r of input a, so
h_j|_{X_r} = lambda^+_{j,r} relu(x_a) + lambda^-_{j,r} relu(-x_a). Because b_k P_r = 0
unless r = r(k), the pruned layer pair computes
    sum_{a,b,k} s^+_{abk} b_k relu(x_a) + s^-_{abk} b_k relu(-x_a),
    s^±_{abk} = sum_{t in S^±_{abk}} mu_{am+t,b,k} lambda^±_{am+t,r(k)},
and the target alpha b_k x_a = alpha b_k relu(x_a) - alpha b_k relu(-x_a) gives two
Subset-Sum problems per (a, b, k): s^+ ≈ alpha and s^- ≈ -alpha over samples
mu lambda^± (zero for the wrong sign of lambda, so S^+ and S^- are disjoint and the
mask on mu is well defined). All problems of a layer are solved as one batch.

Layers i >= 2 (THEORY §3 "Layers i >= 2"). Their input u = relu(z) is nonnegative, so
relu(-u) = 0 and the negative path computes nothing: only the positive-path problems
s^+ ≈ alpha are solved (π_i = 1 path instead of 2), the negative path is pruned entirely,
and the layer error is E^+ u with ||E^+ u|| <= || |E^+| ||_op ||u||. Arrays of layer i
carry a leading path axis of length π_i (2 for i = 1, 1 after). ``all_paths=True`` solves
both paths in every layer (the construction of saved files before format 3).
"""

from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from groups import check_flag, check_generator, check_int, check_memory, check_real

from .network import Layer, check_basis, check_chain, forward, relu
from .norms import basis_norm
from .protocol import Basis


def hidden_basis(basis: Basis) -> Basis:
    """The basis H of Hom_G(R^X, R^X), X = the basis' input set, with the same locality
    (the first random layer of each pair; bases built from field types take it from the
    basis cache, so it is built once)."""
    return check_basis("basis", basis).hidden_basis()


def as_rng(seed) -> np.random.Generator:
    return check_generator("seed", seed)


def per_layer_m(m, depth: int) -> list[int]:
    ms = list(m) if isinstance(m, (list, tuple, np.ndarray)) else [m] * depth
    if len(ms) != depth:
        raise ValueError(f"m needs one value per target layer ({depth}), got {len(ms)}")
    return [check_int("m (random samples per input field)", v, 1) for v in ms]


def overparameterize(target, m, seed=0, hidden_bases=None) -> list[Layer]:
    """The random 2l-layer network of Theorem 1 for ``target`` (a list of Layers).

    ``m``: int or one int per target layer (ñ_i = n_{i-1} m_i); ``seed``: int or Generator.
    Coefficients are drawn layer by layer (lambda_1, mu_1, lambda_2, ...), Uniform[-1, 1].
    """
    check_chain(target)
    ms = per_layer_m(m, len(target))
    rng = as_rng(seed)
    if hidden_bases is None:
        hidden = [hidden_basis(layer.basis) for layer in target]
    else:
        hidden = list(hidden_bases) if isinstance(hidden_bases, (list, tuple)) else None
        if hidden is None or len(hidden) != len(target):
            raise ValueError(f"hidden_bases needs one basis per target layer ({len(target)}), got {hidden_bases!r:.80}")
        hidden = [check_basis(f"hidden_bases[{i}]", H) for i, H in enumerate(hidden)]
    sizes = (L.n_in * mi * (L.n_in * H.dim + L.n_out * L.basis.dim) for L, mi, H in zip(target, ms, hidden))
    check_memory(8 * sum(sizes), f"the random network (m = {ms} samples per input field)", "use a smaller m")
    out = []
    for layer, mi, H in zip(target, ms, hidden):
        width = layer.n_in * mi
        out.append(Layer(H, rng.uniform(-1.0, 1.0, size=(layer.n_in, width, H.dim))))
        out.append(Layer(layer.basis, rng.uniform(-1.0, 1.0, size=(width, layer.n_out, layer.basis.dim))))
    return out


@dataclass(eq=False)
class PruneResult:
    """Masks, pruned network and Subset-Sum outcome of :func:`prune` (per target layer i:
    arrays indexed [path (0: +, 1: -; only + for i >= 2), a, b, k] and samples [..., t])."""

    pruned: list
    masks: list
    m: list
    sums: list
    errors: list
    samples: list
    status: list
    eps_layer: list
    targets: list
    collapsed: list
    subset_sum_seconds: float
    problems: int
    random_params: int
    kept_params: int
    method: str
    paths: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The pruned network, evaluated through the exact collapse of each layer pair.

        Pair i computes z_i = S^+_i relu(u_i) + S^-_i relu(-u_i) with u_1 = x and
        u_i = relu(z_{i-1}) >= 0 for i >= 2 (where relu(-u_i) = 0), so the pruned network
        equals the l-layer network ``collapsed`` = [[S^+_1 S^-_1], S^+_2, ..., S^+_l] applied
        to (relu(x), relu(-x)). Equal to ``forward(self.pruned, x)`` up to rounding
        (checked by ``verify.collapse_error``), at the cost of the target network."""
        return forward(self.collapsed, split_input(x))


def split_input(x: np.ndarray) -> np.ndarray:
    """(relu(x), relu(-x)) stacked along the field axis: the input of the collapsed network."""
    return np.concatenate([relu(x), relu(-x)], axis=1)


def _check_pair(target, random_layers):
    check_chain(target)
    if len(random_layers) != 2 * len(target):
        raise ValueError(f"the random network must have 2 l = {2 * len(target)} layers, got {len(random_layers)}")
    ms = []
    for i, layer in enumerate(target):
        first, second = random_layers[2 * i], random_layers[2 * i + 1]
        width = first.n_out
        if first.n_in != layer.n_in or width % layer.n_in or second.n_in != width or second.n_out != layer.n_out:
            raise ValueError(
                f"random layers {2 * i + 1}-{2 * i + 2} have shapes {first.coeffs.shape}, "
                f"{second.coeffs.shape}; target layer {i + 1} needs ({layer.n_in}, {layer.n_in}*m, .) "
                f"and ({layer.n_in}*m, {layer.n_out}, {layer.basis.dim})"
            )
        if second.basis.dim != layer.basis.dim or second.basis.shape != layer.basis.shape:
            raise ValueError(f"random layer {2 * i + 2} does not use target layer {i + 1}'s basis")
        ms.append(width // layer.n_in)
    return ms


def layer_paths(depth: int, all_paths: bool = False) -> list[int]:
    """π_i, the sign paths solved per target layer: 2 for the first (input of any sign), 1 after
    (ReLU output, THEORY §3); 2 everywhere with ``all_paths``."""
    return [2 if i == 0 or all_paths else 1 for i in range(depth)]


def layer_eps(eps: float, target, all_paths: bool = False, paths=None) -> list[float]:
    """eps'_i = eps / (2 l sqrt(π_i n_{i-1} n_i) ||B_i||): per-coefficient accuracy such that
    the layer errors eps/(2l) compose to a network error <= eps (THEORY §3); π_i from
    :func:`layer_paths` unless ``paths`` gives them."""
    eps = check_eps(eps)
    if eps is None:
        raise ValueError("eps must be a number in (0, 1), got None")
    depth = len(target)
    paths = layer_paths(depth, check_flag("all_paths", all_paths)) if paths is None else paths
    if not isinstance(paths, (list, tuple, np.ndarray)) or len(paths) != depth:
        raise ValueError(f"paths needs one count (1 or 2) per target layer ({depth}), got {paths!r:.80}")
    paths = [check_int(f"paths[{i}]", p, 1, 2) for i, p in enumerate(paths)]
    scale = [2 * depth * np.sqrt(p * L.n_in * L.n_out) * basis_norm(L.basis) for L, p in zip(target, paths)]
    tiny = np.finfo(np.float64).tiny
    if eps / max(scale) < tiny:  # eps'_i would be 0 or subnormal: no Subset-Sum accuracy means it
        raise ValueError(
            f"eps = {eps!r} underflows the per-layer accuracy eps / (2 l sqrt(π n_in n_out) ||B||) "
            f"of this network; eps must be in [{tiny * max(scale):.3g}, 1)"
        )
    return [eps / s for s in scale]


def check_eps(eps) -> float | None:
    """None, or the network accuracy eps in (0, 1)."""
    return None if eps is None else check_real("eps", eps, 0, 1)


def prune_eps(eps, eps_layer, target, all_paths: bool) -> list:
    """eps'_i of every target layer for :func:`prune`: ``eps_layer`` when given (checked, one
    per layer), else :func:`layer_eps` of ``eps`` (None: solved to optimality)."""
    eps = check_eps(eps)
    eps_l = layer_eps(eps, target, all_paths) if eps is not None else [None] * len(target)
    if eps_layer is None:
        return eps_l
    if not isinstance(eps_layer, (list, tuple, np.ndarray)):
        raise ValueError(f"eps_layer must be a list of one accuracy per target layer, got {eps_layer!r:.80}")
    if len(eps_layer) != len(target):
        raise ValueError(f"eps_layer needs one accuracy per target layer ({len(target)}), got {len(eps_layer)}")
    return [check_eps(e) for e in eps_layer]


def subset_sum_instances(target_layer: Layer, lam: np.ndarray, mu: np.ndarray, H, m: int, paths: int = 2):
    """Samples (π, n_in, n_out, K, m) and targets (π, n_in, n_out, K) of one target layer:
    samples[±, a, b, k, t] = mu[a m + t, b, k] * lambda^±[a, a m + t, diag(r(k))], targets
    ±alpha; ``paths`` π = 2 (both) or 1 (the positive path only)."""
    n_in, n_out, K = target_layer.coeffs.shape
    r = target_layer.basis.input_orbit()
    diag = H.diagonal_orbits()
    if r.max(initial=0) >= diag.size:
        raise ValueError("the hidden basis has fewer input orbits than the target basis reads from")
    a = np.arange(n_in)
    j = a[:, None] * m + np.arange(m)[None, :]  # (n_in, m)
    lam_d = lam[a[:, None], j][:, :, diag]  # (n_in, m, R)
    lam_k = lam_d[:, :, r]  # (n_in, m, K)
    mu_b = mu.reshape(n_in, m, n_out, K)
    pos = np.maximum(lam_k, 0.0)[:, :, None, :] * mu_b  # (n_in, m, n_out, K)
    neg = np.maximum(-lam_k, 0.0)[:, :, None, :] * mu_b
    samples = np.stack([pos, neg][:paths]).transpose(0, 1, 3, 4, 2)  # (π, n_in, n_out, K, m)
    targets = np.stack([target_layer.coeffs, -target_layer.coeffs][:paths])
    return samples, targets


def prune(
    random_layers,
    target,
    eps=None,
    method: str = "auto",
    progress=None,
    all_paths: bool = False,
    eps_layer=None,
    executor=None,
    **solver_options,
) -> PruneResult:
    """Prune the random network to approximate ``target`` (THEORY §3).

    ``eps`` None: every Subset-Sum problem is solved to its optimum. ``eps`` in (0, 1):
    layer i's problems are solved to eps'_i (:func:`layer_eps`; adaptive exact mode stops
    at the first prefix that reaches it). ``method`` and ``solver_options`` go to
    ``subsetsum.solve``; each layer's π_i n_in n_out |B| problems form one batch (π_1 = 2,
    π_i = 1 after: the positive path only; ``all_paths``: both paths everywhere). Masks
    act on coefficients only, so the pruned network is G-equivariant by construction.
    ``eps_layer``: layer i's accuracy eps'_i given directly instead (e.g. Pensia et al.'s
    0.01 per weight); given with ``eps``, ``eps_layer`` wins (eps is still checked to be
    in (0, 1), and the layers are solved to eps_layer only). ``executor``: None (this
    process) or a ``concurrent.futures.Executor`` on which ``subsetsum.solve`` runs each
    layer's batch in row chunks (same masks either way).
    """
    from subsetsum import solve

    all_paths = check_flag("all_paths", all_paths)
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(f"executor must be None or a concurrent.futures.Executor, got {executor!r:.80}")
    ms = _check_pair(target, random_layers)
    paths = layer_paths(len(target), all_paths)
    eps_l = prune_eps(eps, eps_layer, target, all_paths)
    # rows beyond meet-in-the-middle's cap (exact, ktree/auto fallback): best over a prefix, "capped"
    solver_options.setdefault("on_cap", "prefix")
    masks, statuses, instances, seconds = [], [], [], 0.0
    for i, layer in enumerate(target):
        first, second = random_layers[2 * i], random_layers[2 * i + 1]
        m = ms[i]
        samples, targets = subset_sum_instances(layer, first.coeffs, second.coeffs, first.basis, m, paths[i])
        instances.append((samples, targets))
        t0 = time.perf_counter()
        res = solve(
            samples.reshape(-1, m), targets.ravel(), eps=eps_l[i], method=method, executor=executor, **solver_options
        )
        seconds += time.perf_counter() - t0
        sel = np.asarray(res.masks, dtype=bool).reshape(samples.shape) & (samples != 0)
        masks += _masks_from_selection(layer, first, sel, m)
        statuses.append(np.asarray(res.status).reshape(targets.shape))
        if progress:
            progress(i + 1, len(target))
    return from_masks(
        random_layers,
        target,
        masks,
        statuses=statuses,
        eps_layer=eps_l,
        subset_sum_seconds=seconds,
        method=method,
        instances=instances,
        all_paths=all_paths,
    )


def _masks_from_selection(layer, first, sel, m):
    """Masks (lambda, mu) of one layer pair from the selected samples sel (π, n_in, n_out, K, m)."""
    n_in, n_out, K = layer.coeffs.shape
    mask_mu = sel.any(axis=0).transpose(0, 3, 1, 2).reshape(n_in * m, n_out, K)
    # the diagonal orbital (a, j, diag(r)) is kept iff some kept mu of field j reads orbit r
    r = layer.basis.input_orbit()
    diag = first.basis.diagonal_orbits()
    used_k = mask_mu.reshape(n_in, m, n_out, K).any(axis=2)  # (n_in, m, K)
    onehot = np.zeros((K, diag.size))
    onehot[np.arange(K), r] = 1.0
    used = (used_k.astype(np.float64) @ onehot) > 0  # (n_in, m, R)
    mask_lam = np.zeros(first.coeffs.shape, dtype=bool)
    a, jj, dd = _diagonal_positions(n_in, m, diag)
    mask_lam[a, jj, dd] = used
    return [mask_lam, mask_mu]


def _diagonal_positions(n_in, m, diag):
    """Index arrays (n_in, m, R) of lambda[a, a m + t, diag(r)]."""
    shape = (n_in, m, diag.size)
    a = np.broadcast_to(np.arange(n_in)[:, None, None], shape)
    j = np.broadcast_to((np.arange(n_in)[:, None] * m + np.arange(m)[None, :])[:, :, None], shape)
    return a, j, np.broadcast_to(diag[None, None, :], shape)


def from_masks(
    random_layers,
    target,
    masks,
    statuses=None,
    eps_layer=None,
    subset_sum_seconds=0.0,
    method: str = "masks",
    instances=None,
    all_paths: bool | None = None,
) -> PruneResult:
    """The pruned network and its exact layer-pair collapse from binary masks on the random
    coefficients (used by :func:`prune`, and by ``slt verify`` to re-check saved masks from
    scratch). Masks may keep only diagonal orbitals of the own block in the first layer of
    each pair (else the collapse does not hold and a ValueError says where). ``instances``:
    each layer's Subset-Sum (samples, targets) when the caller has set them up (prune).
    Sums and errors are those of the paths solved (:func:`layer_paths`); ``all_paths=None``
    reads them from the masks: a layer i >= 2 whose mask keeps a negative lambda (masks of
    the construction before format 3, whose negative path computes nothing there) is
    reported with both paths, as it was solved."""
    ms = _check_pair(target, random_layers)
    if len(masks) != len(random_layers):
        raise ValueError(f"need one mask per random layer ({len(random_layers)}), got {len(masks)}")
    paths = layer_paths(len(target), bool(all_paths))
    out = dict(pruned=[], masks=[], sums=[], errors=[], samples=[], status=[], targets=[], collapsed=[])
    for i, layer in enumerate(target):
        first, second = random_layers[2 * i], random_layers[2 * i + 1]
        mask_lam, mask_mu = _checked_masks(masks[2 * i : 2 * i + 2], first, second, i)
        if all_paths is None and i > 0 and np.any(mask_lam & (first.coeffs < 0)):
            paths[i] = 2
        if instances is None:
            samples, targets = subset_sum_instances(layer, first.coeffs, second.coeffs, first.basis, ms[i], paths[i])
        else:
            samples, targets = instances[i]
        sums = _kept_sums(layer, first.basis, mask_lam, mask_mu, samples, i)
        out["masks"] += [mask_lam, mask_mu]
        out["pruned"] += [Layer(first.basis, first.coeffs * mask_lam), Layer(layer.basis, second.coeffs * mask_mu)]
        out["sums"].append(sums)
        out["errors"].append(sums - targets)
        out["samples"].append(samples)
        out["status"].append(statuses[i] if statuses is not None else np.full(targets.shape, "from-masks"))
        out["targets"].append(targets)
        out["collapsed"].append(Layer(layer.basis, np.concatenate([sums[0], sums[1]]) if i == 0 else sums[0]))
    random_params = int(sum(layer.coeffs.size for layer in random_layers))
    kept = int(sum(mk.sum() for mk in out["masks"]))
    return PruneResult(
        m=ms,
        eps_layer=eps_layer or [None] * len(target),
        subset_sum_seconds=subset_sum_seconds,
        problems=int(sum(t.size for t in out["targets"])),
        random_params=random_params,
        kept_params=kept,
        method=method,
        paths=paths,
        **out,
    )


def _checked_masks(pair, first, second, i):
    """The masks (lambda, mu) of layer pair i as bool arrays of the coefficients' shapes."""
    mask_lam, mask_mu = (np.asarray(mk) for mk in pair)
    for mk, rl, j in ((mask_lam, first, 2 * i + 1), (mask_mu, second, 2 * i + 2)):
        if mk.shape != rl.coeffs.shape or not (mk.dtype == bool or np.isin(mk, (0, 1)).all()):
            raise ValueError(
                f"mask {j} must be a 0/1 array of shape {rl.coeffs.shape}, got {mk.dtype} of shape {mk.shape}"
            )
    return mask_lam.astype(bool), mask_mu.astype(bool)


def _kept_sums(layer, H, mask_lam, mask_mu, samples, i):
    """s^±[a, b, k] = sum of the kept samples (π, n_in, n_out, K) of target layer i; the
    lambda mask may keep only the diagonal orbitals of its own block."""
    n_in, n_out, K = layer.coeffs.shape
    m = samples.shape[-1]
    diag = H.diagonal_orbits()
    a, jj, dd = _diagonal_positions(n_in, m, diag)
    allowed = np.zeros_like(mask_lam)
    allowed[a, jj, dd] = True
    if np.any(mask_lam & ~allowed):
        bad = tuple(int(v) for v in np.argwhere(mask_lam & ~allowed)[0])
        raise ValueError(
            f"mask {2 * i + 1} keeps lambda{list(bad)}, which is not a diagonal orbital of its own "
            f"block: not a mask of this construction"
        )
    lam_kept = mask_lam[a, jj, dd][:, :, layer.basis.input_orbit()]  # (n_in, m, K)
    keep = mask_mu.reshape(n_in, m, n_out, K) & lam_kept[:, :, None, :]
    sel = keep.transpose(0, 2, 3, 1)[None] & (samples != 0)
    return (samples * sel).sum(axis=-1)
