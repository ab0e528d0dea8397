"""Verification of a pruned network, at the three levels of THEORY.md §5.

1. This target, this draw: coefficient errors; analytic layer and network bounds from the
   achieved errors; the error measured on random inputs of the unit sphere and refined by
   projected gradient ascent; the equivariance error of the pruned network.
2. All targets, this draw: each Subset-Sum instance's exact sup-error over z in [-1, 1]
   (``subsetsum.sup_error``) bounds the coefficient error for every target coefficient in
   [-1, 1], hence a certified network bound for every target with ||W_i||_op <= 1.
3. Parameters: random and kept (the lower bound of Theorem 2 lives in ``bounds``).

Layer bound. The first pruned layer pair is x -> S^+ relu(x) + S^- relu(-x) and the target
is W x = W relu(x) - W relu(-x), so the error is [E^+ E^-] applied to (relu(x), relu(-x)),
whose norm is ||x||. Each E^± = sum e^±_{abk} E_ba ⊗ b_k is entrywise dominated by
|E^±| (disjoint orbital supports), so ||error|| <= || [|E^+| |E^-|] ||_op, computed
EXACTLY by the orbit reduction of ``norms.perron_norm``. A pair i >= 2 reads u = relu(z)
>= 0 and keeps the positive path only: its error is E^+ u, ||E^+ u|| <= || |E^+| ||_op ||u||
(THEORY §3 "Layers i >= 2"). In general the bound is the Perron norm of the |E| of the paths
solved (``PruneResult.paths``). (THEORY's coarser form sqrt(π_i n_in n_out) ||B|| max|e| is
reported alongside.)

Network bound. With w_i >= ||W_i||_op and layer bounds e_i, the pruned layer i is
(w_i + e_i)-Lipschitz and ReLU is 1-Lipschitz, so for ||x|| <= 1
    ||f(x) - g(x)|| <= sum_i e_i prod_{j<i} w_j prod_{j>i} (w_j + e_j)
(= (1 + eps/(2l))^l - 1 <= eps when w_j = 1 and e_j = eps/(2l), THEORY §3).
"""

from __future__ import annotations

import time

import numpy as np

from groups import check_flag, check_generator, check_int, check_memory, check_real, check_real_array

from .construction import PruneResult, layer_eps, split_input
from .network import backward, forward, op_norm
from .norms import basis_norm, perron_norm


def layer_bound(basis, errors: np.ndarray) -> float:
    """|| [|E^+| |E^-|] ||_op for errors of shape (2, n_in, n_out, K), || |E^+| ||_op for
    (1, n_in, n_out, K) (exact)."""
    return perron_norm(basis, np.abs(np.concatenate(list(errors), axis=0)))


def network_bound(layer_bounds, norms) -> float:
    """sum_i e_i prod_{j<i} w_j prod_{j>i} (w_j + e_j).

    With w_j = 1 and e_j = eps/(2l) it is (1 + eps/(2l))^l - 1 <= eps (THEORY §3):

    >>> round(network_bound([0.025, 0.025], [1.0, 1.0]), 12), round(1.025 ** 2 - 1, 12)
    (0.050625, 0.050625)
    """
    e = check_real_array("layer_bounds", layer_bounds, ndim=1)
    w = check_real_array("norms", norms, ndim=1)
    if e.size != w.size:
        raise ValueError(f"layer_bounds and norms need one value per layer each, got {e.size} and {w.size}")
    for key, a in (("layer_bounds", e), ("norms", w)):
        if (a < 0).any():
            raise ValueError(f"{key} must be numbers >= 0, got {a[a < 0][0]!r} at index {int(np.argmax(a < 0))}")
    return float(sum(e[i] * np.prod(w[:i]) * np.prod(w[i + 1 :] + e[i + 1 :]) for i in range(e.size)))


def unit_sphere(rng, count: int, n_fields: int, size: int) -> np.ndarray:
    x = rng.standard_normal((count, n_fields, size))
    return x / np.linalg.norm(x.reshape(count, -1), axis=1)[:, None, None]


def sampled_sup_error(
    target, result: PruneResult, rng, samples: int = 256, starts: int = 8, steps: int = 20, chunk: int = 64
) -> dict:
    """max ||f(x) - g(x)|| over random x on the unit sphere, then projected gradient ascent
    (normalised steps, shrinking) from the ``starts`` worst samples. A measured lower
    estimate of the true sup (the analytic bounds are the upper side)."""
    n0, size = target[0].n_in, target[0].basis.shape[1]
    xs = unit_sphere(rng, samples, n0, size)
    errs = np.concatenate([_errors(target, result, xs[c : c + chunk]) for c in range(0, samples, chunk)])
    sampled = float(errs.max())
    x = xs[np.argsort(errs)[::-1][:starts]]
    best = sampled
    step = 0.5
    for _ in range(steps):
        x = x + step * _ascent_direction(target, result, x)
        x /= np.linalg.norm(x.reshape(x.shape[0], -1), axis=1)[:, None, None]
        best = max(best, float(_errors(target, result, x).max()))
        step *= 0.8
    return {
        "sup_error_sampled": sampled,
        "sup_error_ascent": best,
        "inputs": samples,
        "ascent_starts": min(starts, samples),
        "ascent_steps": steps,
    }


def _errors(target, result, x):
    d = forward(target, x) - result.forward(x)
    return np.linalg.norm(d.reshape(d.shape[0], -1), axis=1)


def _ascent_direction(target, result, x):
    """Normalised gradient of ||f(x) - g(x)||^2 / 2 per input."""
    yf, zf = forward(target, x, activations=True)
    xs = split_input(x)
    yg, zg = forward(result.collapsed, xs, activations=True)
    e = yf - yg
    gf, _ = backward(target, zf, e, coeff_grads=False)
    gs, _ = backward(result.collapsed, zg, e, coeff_grads=False)
    n = x.shape[1]
    gg = gs[:, :n] * (x > 0) - gs[:, n:] * (x < 0)
    g = gf - gg
    norm = np.linalg.norm(g.reshape(g.shape[0], -1), axis=1)[:, None, None]
    return g / np.maximum(norm, 1e-300)


def collapse_error(result: PruneResult, x: np.ndarray, honest: np.ndarray | None = None) -> float:
    """max relative difference between the honest 2l-layer forward pass of the pruned
    network and its collapsed evaluation."""
    honest = forward(result.pruned, x) if honest is None else honest
    fast = result.forward(x)
    return float(np.abs(honest - fast).max() / max(np.abs(honest).max(), 1e-300))


def honest_checks(result: PruneResult, rng, batch: int, elements: int) -> dict:
    """One honest 2l-layer forward pass f(x) serves both checks: the collapse check
    (f(x) vs the collapsed evaluation) and the equivariance errors
    ||f(rho(g) x) - rho(g) f(x)|| / ||f(x)|| of ``elements`` group elements (all of them
    for groups of at most 256 elements on X ⊔ Y; ``equivariance.equivariance_errors``)."""
    from .equivariance import equivariance_errors, group_elements

    first, last = result.pruned[0], result.pruned[-1]
    x = rng.standard_normal((batch, first.n_in, first.basis.shape[1]))
    fx = forward(result.pruned, x)
    group = group_elements(first.basis.action_in, last.basis.action_out, rng, count=elements)
    errs = equivariance_errors(lambda v: forward(result.pruned, v), x, group, fx=fx)
    return {
        "collapse_check": collapse_error(result, x, honest=fx),
        "equivariance_error": errs.max,
        "equivariance_elements": int(errs.errors.size),
        "equivariance_worst_element": errs.elements.names[errs.worst],
    }


def optimised_prefix(rows: np.ndarray, cap: int) -> np.ndarray:
    """Each row with its samples after the first ``cap`` nonzero ones zeroed: the samples the
    exact solver optimises over (a row with more is ``capped``: optimum over this prefix).

    >>> optimised_prefix(np.array([[0.5, 0.0, -0.2, 0.3]]), 2).tolist()
    [[0.5, 0.0, -0.2, 0.0]]
    """
    return np.where(np.cumsum(rows != 0, axis=1) <= cap, rows, 0.0)


def certificate(result: PruneResult, exact_max: int = 20, group: int = 16, budget: float = 2e9, eps_layer=None) -> dict:
    """Level 2: sup-error of every instance and the certified bound for every target with
    ||W_i||_op <= 1, for the pruning that optimises each instance over the samples the exact
    solver uses: all its nonzero samples, or its first ``subsetsum.EXACT_MAX_N`` for a row with
    more (status ``capped``). That is the --optimal pruning, literally; and an eps-mode run
    (exact, or ktree/auto, whose misses fall back to the exact prefix search) reaches every
    instance within eps'_i for every target if that instance's sup-error is <= eps'_i
    (``certified_eps_mode``). Rows with at most ``exact_max`` nonzero samples get the exact
    sup-error, longer rows the rigorous refined bound ``subsetsum.sup_error_bound`` (groups
    of ``group`` samples). Skipped (with the reason) when the estimated number of subset
    sums to enumerate exceeds ``budget``. ``eps_layer``: the eps'_i to check (default: the
    result's)."""
    from subsetsum import EXACT_MAX_N, sup_error, sup_error_bound

    eps_layer = check_certificate_args(result, exact_max, group, budget, eps_layer)
    rows = [optimised_prefix(s.reshape(-1, s.shape[-1]), EXACT_MAX_N) for s in result.samples]
    nnz = np.concatenate([np.count_nonzero(r, axis=1) for r in rows])
    work = float(
        np.sum(np.where(nnz <= exact_max, 2.0 ** np.minimum(nnz, exact_max), np.ceil(nnz / group) * 2.0**group))
    )
    if work > budget:
        return {
            "certified": None,
            "certified_bound": None,
            "certificate_note": f"skipped: {work:.2e} subset sums to enumerate exceed the budget {budget:.1e} "
            f"(pass --certify yes to compute it anyway)",
        }
    t0 = time.perf_counter()
    layer_bounds, exact_rows, bound_rows, within = [], 0, 0, True
    for r, s, L, e in zip(rows, result.samples, result.collapsed, eps_layer):
        k = np.count_nonzero(r, axis=1)
        sup = np.empty(r.shape[0])
        small = k <= exact_max
        if small.any():
            sup[small] = sup_error(r[small])
        if (~small).any():
            sup[~small] = sup_error_bound(r[~small], max_nonzero=group, levels=int(np.ceil(k.max() / group)))
        exact_rows += int(small.sum())
        bound_rows += int((~small).sum())
        within = within and e is not None and bool(np.all(sup <= e))
        layer_bounds.append(layer_bound(L.basis, sup.reshape(s.shape[:-1])))
    bound = network_bound(layer_bounds, np.ones(len(layer_bounds)))
    capped = int(
        sum(np.sum(np.count_nonzero(s.reshape(-1, s.shape[-1]), axis=1) > EXACT_MAX_N) for s in result.samples)
    )
    return {
        "certified_bound": bound,
        "certified_layer_bounds": layer_bounds,
        "certificate_rows_exact": exact_rows,
        "certificate_rows_upper_bound": bound_rows,
        "certificate_rows_prefix": capped,
        "certificate_prefix_nonzero": EXACT_MAX_N,
        "certified_eps_mode": within if all(e is not None for e in eps_layer) else None,
        "certificate_seconds": time.perf_counter() - t0,
        "certificate_note": (
            f"for every target with ||W_i||_op <= 1 (all coefficients in [-1, 1]), the optimal "
            f"pruning of this draw (slt prune --optimal: each Subset-Sum instance optimised over "
            f"its nonzero samples, the first {EXACT_MAX_N} for the {capped} rows with more) is "
            f"within certified_bound"
        ),
    }


def verify(
    result: PruneResult,
    target,
    eps=None,
    rng=None,
    samples: int = 256,
    ascent_steps: int = 20,
    ascent_starts: int = 8,
    equivariance_elements: int = 8,
    certify: bool = True,
    certificate_budget: float = 2e9,
    honest_batch: int = 2,
) -> dict:
    """The verification report of THEORY §5 as a flat dict (see module docstring)."""
    eps, rng = check_verify_args(
        result,
        target,
        eps,
        rng,
        samples,
        ascent_steps,
        ascent_starts,
        equivariance_elements,
        certify,
        certificate_budget,
        honest_batch,
    )
    norms = [op_norm(layer) for layer in target]
    coeff_err = max(float(np.abs(e).max()) for e in result.errors)
    bounds = [layer_bound(L.basis, e) for L, e in zip(target, result.errors)]
    theorem_bounds = [
        float(np.sqrt(e.shape[0] * L.n_in * L.n_out) * basis_norm(L.basis) * np.abs(e).max())
        for L, e in zip(target, result.errors)
    ]
    report = {
        "eps": eps,
        "m": result.m,
        "method": result.method,
        "coefficient_error_max": coeff_err,
        "layer_error_bounds": bounds,
        "layer_error_bounds_theorem_form": theorem_bounds,
        "target_norms": norms,
        "norm_assumption_holds": bool(all(w <= 1 + 1e-9 for w in norms)),
        "error_bound": network_bound(bounds, norms),
        "subset_sum_problems": result.problems,
        "subset_sum_seconds": result.subset_sum_seconds,
        "subset_sum_status": _status_counts(result.status),
        "random_params": result.random_params,
        "kept_params": result.kept_params,
    }
    report.update(sampled_sup_error(target, result, rng, samples=samples, steps=ascent_steps, starts=ascent_starts))
    report.update(honest_checks(result, rng, honest_batch, equivariance_elements))
    if certify:
        eps_l = layer_eps(eps, target, paths=result.paths) if eps is not None else None
        cert = certificate(result, budget=certificate_budget, eps_layer=eps_l)
        report.update(cert)
        if eps is not None and cert.get("certified_bound") is not None:
            report["certified"] = bool(cert["certified_bound"] <= eps)
        else:
            report.setdefault("certified", None)
    else:
        report.update({"certified": None, "certified_bound": None, "certificate_note": "not requested"})
    if eps is not None:
        report["within_eps"] = bool(report["error_bound"] <= eps)
    return report


def check_verify_args(
    result, target, eps, rng, samples, ascent_steps, ascent_starts, elements, certify, budget, honest_batch
):
    """Every argument of :func:`verify` (one-line ValueErrors), the target against the pruned
    network, and the memory of the sampled inputs; returns (eps, rng)."""
    from .construction import _check_pair, check_eps

    if not isinstance(result, PruneResult):
        raise ValueError(f"result must be the PruneResult of prune() or from_masks(), got {type(result).__name__}")
    same = _check_pair(target, result.pruned) == list(result.m) and len(target) == len(result.targets)
    if not same or any(
        L.coeffs.shape != t.shape[1:] or not np.array_equal(L.coeffs, t[0]) for L, t in zip(target, result.targets)
    ):
        raise ValueError("target is not the target this network was pruned to (pass the target given to prune())")
    for key, value, low in (
        ("samples", samples, 1),
        ("ascent_steps", ascent_steps, 0),
        ("ascent_starts", ascent_starts, 1),
        ("equivariance_elements", elements, 1),
        ("honest_batch", honest_batch, 1),
    ):
        check_int(key, value, low)
    check_flag("certify", certify)
    check_budget("certificate_budget", budget)
    check_verify_memory(
        [L.basis for L in target], [target[0].n_in] + [L.n_out for L in target], result.m, samples, honest_batch
    )
    if eps is not None:  # refuses an eps that underflows the per-layer split
        layer_eps(eps, target, paths=result.paths or None)
    return check_eps(eps), (np.random.default_rng(0) if rng is None else check_generator("rng", rng))


def check_certificate_args(result, exact_max, group, budget, eps_layer) -> list:
    """The arguments of :func:`certificate` (one-line ValueErrors); returns the eps'_i to check."""
    check_int("exact_max", exact_max, 0)
    check_int("group", group, 1)
    check_budget("budget", budget)
    eps_layer = result.eps_layer if eps_layer is None else eps_layer
    if not isinstance(eps_layer, (list, tuple, np.ndarray)) or len(eps_layer) != len(result.samples):
        raise ValueError(
            f"eps_layer needs one accuracy (or None) per target layer ({len(result.samples)}), got {eps_layer!r:.80}"
        )
    return eps_layer


def check_budget(key: str, value) -> float:
    """A work budget: a number > 0, or inf (no budget: ``slt prune --certify yes``)."""
    if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and value == np.inf:
        return float(value)
    return check_real(key, value, 0, None)


def check_verify_memory(bases, channels, m, samples: int, honest_batch: int = 2) -> None:
    """Refuse, before anything is drawn, a verification whose inputs would not fit in memory:
    ``samples`` unit-sphere inputs (kept, plus a chunk of 64 through every layer) and the
    honest 2l-layer forward pass of ``honest_batch`` inputs (its widest layer has n_{i-1} m_i
    fields of X_{i-1}). ``bases``, ``channels``: the target's; ``m``: per layer (a lower
    bound such as 1 checks the inputs before m is known)."""
    inputs = samples * channels[0] * bases[0].shape[1]
    widest = max(c * b.shape[1] for c, b in zip(channels, bases)) + max(
        c * b.shape[0] for c, b in zip(channels[1:], bases)
    )
    hidden = max(c * mi * b.shape[1] for c, mi, b in zip(channels, m, bases))
    check_memory(
        8 * (2 * inputs + 4 * 64 * widest + 2 * honest_batch * len(bases) * hidden),
        f"the verification ({samples:,} unit-sphere inputs of {inputs // samples:,} numbers, an honest "
        f"forward pass through {hidden:,} hidden numbers)",
        "use fewer --samples or a smaller m",
    )


def _status_counts(status) -> dict:
    values, counts = np.unique(np.concatenate([np.ravel(s) for s in status]), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts)}
