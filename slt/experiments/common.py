"""Shared driver of the experiments: the theorem's setting, the pruning sweep, tables, figures.

Pipeline for one trained target f (a bias-free equivariant classifier, layers rescaled to
||W_i||_op <= 1, inputs of unit norm):

1. eps from the data: the target's test logit margins (top-1 minus top-2). An output
   error ||g(x) - f(x)||_2 < margin(x) / sqrt(2) cannot change the prediction at x, so
   eps = q / sqrt(2), q = the 0.5 % quantile of the margins, guarantees that a pruned
   network g with sup_{||x|| <= 1} ||g - f|| <= eps predicts like f on at least 99.5 % of
   the test inputs: accuracy within 0.5 percentage points.
2. The bound's m: ``bounds.network_width`` (Theorem 1 with the calibrated separable requirement, delta) with
   the exact |B_i|, ||B_i|| (max over the data set's graphs / sizes where the basis
   depends on them) and the hidden basis dimension of the construction.
3. For each m of a sweep (small to the bound) and at the bound's per-layer m: draw the
   random 2l-layer network (``overparameterize``), prune it (``prune`` with that eps:
   adaptive exact Subset-Sum), evaluate it on the test set through the exact layer-pair
   collapse (checked against the honest 2l-layer pass), and measure accuracy, agreement
   with the target, output error, the analytic error bound of this draw, parameters,
   Subset-Sum time and equivariance errors.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time

import numpy as np

from ..progress import note

#: quantile of the target's test margins that sets eps (module docstring)
MARGIN_QUANTILE = 0.005
DELTA = 0.01
#: the Executor every ``prune`` of the running experiment sends its Subset-Sum batches to
#: (None: this process); set by ``run_experiment(executor=...)`` through ``using_executor``
EXECUTOR = contextvars.ContextVar("slt_experiment_executor", default=None)


@contextlib.contextmanager
def using_executor(executor):
    """Run the experiments' Subset-Sum batches on ``executor`` (a concurrent.futures.Executor
    or None) inside the block: same masks, same tables whatever it is."""
    token = EXECUTOR.set(executor)
    try:
        yield
    finally:
        EXECUTOR.reset(token)


def make_config(configs: dict, quick: bool, override: dict | None) -> dict:
    cfg = dict(configs["quick" if quick else "full"])
    unknown = sorted(set(override or {}) - set(cfg))
    if unknown:
        raise ValueError(f"unknown configuration keys {unknown}: known keys are {sorted(cfg)}")
    cfg.update(override or {})
    return cfg


# ---------------------------------------------------------------------- eps and bounds
def training_record(res, factors, logit_factor: float) -> dict:
    """What every experiment reports of training its target: ``train_network``'s result
    ``res`` (time, losses, dead units revived), the rescaling factors to ||W_i||_op <= 1 and
    the logit factor, and the number of orbital coefficients."""
    return {
        "train_seconds": res.seconds,
        "losses": res.losses,
        "revived": res.revived,
        "factors": factors,
        "logit_factor": logit_factor,
        "coefficients": int(sum(L.coeffs.size for L in res.layers)),
    }


def margins(logits: np.ndarray) -> np.ndarray:
    s = np.sort(logits, axis=1)
    return s[:, -1] - s[:, -2]


def eps_from_margins(logits: np.ndarray, quantile: float = MARGIN_QUANTILE) -> tuple[float, int]:
    """(eps, ties): eps = the ``quantile`` of the positive margins / sqrt(2); ties = the
    number of inputs whose two top logits are equal (e.g. all zero), left out of the rule.

    >>> eps, ties = eps_from_margins(np.array([[0.5, 0.0], [0.0, 0.0], [0.0, 0.6]]), quantile=0.0)
    >>> round(eps * math.sqrt(2), 12), ties      # smallest positive margin 0.5, one tie
    (0.5, 1)
    """
    marg = margins(logits)
    positive = marg[marg > 0]
    if positive.size == 0:
        raise ValueError(
            "the trained target gives tied top logits on every test input (a dead network): "
            "cannot set eps from its margins; train longer or wider"
        )
    return min(float(np.quantile(positive, quantile)) / math.sqrt(2), 0.5), int(marg.size - positive.size)


def theorem_layers(target, hidden_dims, basis_norms) -> list[dict]:
    return [
        {
            "n_in": L.n_in,
            "n_out": L.n_out,
            "basis_dim": int(L.basis.dim),
            "basis_norm": float(norm),
            "hidden_basis_dim": int(h),
        }
        for L, h, norm in zip(target, hidden_dims, basis_norms)
    ]


def bound_widths(layers: list[dict], eps: float, delta: float = DELTA) -> dict:
    """Theorem 1's per-layer m with the calibrated separable requirement, or the reason it is unavailable."""
    try:
        from bounds import network_width

        r = network_width(layers, eps, delta)
    except (ImportError, ValueError) as exc:
        return {"m": None, "label": None, "note": f"Theorem 1 width unavailable: {exc}"}
    out = {
        "m": [int(row["m"]) for row in r["layers"]],
        "label": r["label"],
        "C": r["C"],
        "c0": r["c0"],
        "C_source": r["C_source"],
        "eps_pp": [float(row["eps_pp"]) for row in r["layers"]],
        "random_params": int(r["total_random_params"]),
        "lower_bound_params": int(r["total_lower_bound_params"]),
        "extrapolated": any(bool(row.get("extrapolated", False)) for row in r["layers"]),
        "calibration_range": r.get("calibration_eps_pp_range"),
        "note": (
            f"m_i = ceil(a log2(1/eps'_i) + b ln(1/delta''_i) + c), a, b, c = "
            f"{r['separable']['a']:.4g}, {r['separable']['b']:.4g}, {r['separable']['c']:.4g} "
            f"({r['label']}), delta = {delta}"
        )
        if r["form"] == "separable"
        else (
            f"m_i = ceil(C ln(2/eps''_i) + c0), C = {r['C']:.4g}, c0 = {r['c0']:.4g} ({r['label']}), delta = {delta}"
        ),
    }
    if out["extrapolated"]:
        out["note"] += (
            f"; eps'_i = {min(out['eps_pp']):.1e}..{max(out['eps_pp']):.1e} or delta''_i lies outside the "
            f"calibrated ranges: the calibrated requirement is EXTRAPOLATED there"
        )
    return out


# ---------------------------------------------------------------------- pruning sweep
def prune_once(
    target,
    m,
    seed: int,
    eps: float,
    evaluator,
    target_logits,
    y,
    bar=None,
    honest: int = 2,
    coefficient_eps: float | None = None,
) -> dict:
    """Draw, prune and evaluate at ``m`` (int or per-layer list); one table row. ``bar``: the
    experiment's progress display (one step per pruned network), or None.
    ``coefficient_eps``: every Subset-Sum problem solved to this accuracy instead of eps's
    per-layer eps'_i (Pensia-style: 0.01 per weight); :func:`within_eps` counts the weights."""
    from constructions import layer_bound, network_bound, overparameterize, prune

    ms = list(m) if isinstance(m, (list, tuple)) else [int(m)] * len(target)
    rng = np.random.default_rng([seed, 7, *ms])
    t0 = time.perf_counter()
    random_layers = overparameterize(target, ms, seed=rng)
    result = prune(
        random_layers,
        target,
        eps=eps,
        executor=EXECUTOR.get(),
        eps_layer=None if coefficient_eps is None else [coefficient_eps] * len(target),
    )
    logits = evaluator.logits(result.collapsed, split=True)
    err = np.linalg.norm(logits - target_logits, axis=1)
    bounds = [layer_bound(L.basis, e) for L, e in zip(target, result.errors)]
    row = {
        "m": max(ms),
        "m_per_layer": ms,
        "accuracy": float(np.mean(np.argmax(logits, 1) == y)),
        "agreement": float(np.mean(np.argmax(logits, 1) == np.argmax(target_logits, 1))),
        "output_error_max": float(err.max()),
        "output_error_mean": float(err.mean()),
        "error_bound": float(network_bound(bounds, np.ones(len(bounds)))),
        "coefficient_error_max": float(max(np.abs(e).max() for e in result.errors)),
        "random_params": int(result.random_params),
        "kept_params": int(result.kept_params),
        "subset_sum_problems": int(result.problems),
        "subset_sum_seconds": float(result.subset_sum_seconds),
    }
    statuses, counts = np.unique(np.concatenate([np.ravel(s) for s in result.status]), return_counts=True)
    row["subset_sum_status"] = {str(k): int(v) for k, v in zip(statuses, counts)}
    # problems whose error stayed above eps''_i (all samples used, or the 44-sample prefix cap)
    row["subset_sum_above_eps"] = int(
        sum(v for k, v in row["subset_sum_status"].items() if k in ("infeasible", "capped"))
    )
    eq_rng = np.random.default_rng([seed, 11])
    row["equivariance_error"] = float(evaluator.equivariance(result.collapsed, eq_rng, split=True))
    # relative to the pruned outputs, or to the target's logit scale if the pruned ones are
    # smaller (a network too small to be alive has outputs at rounding level)
    scale = float(np.abs(target_logits).max())
    row["invariance_error_data"] = float(evaluator.invariance(result.collapsed, split=True, scale=scale))
    row["honest_equivariance_error"] = float(evaluator.honest_equivariance(result.pruned, eq_rng))
    row["collapse_check"] = float(evaluator.collapse_check(result, honest, scale))
    if None not in result.eps_layer:
        row.update(within_eps(result.errors, result.eps_layer))
    row["seconds"] = time.perf_counter() - t0
    if bar is not None:
        bar.update()
        note(
            bar,
            f"  m = {ms}: accuracy {100 * row['accuracy']:.2f} %, agreement {100 * row['agreement']:.2f} %, "
            f"max output error {row['output_error_max']:.2e} (eps {eps:.2e}), Subset-Sum "
            f"{row['subset_sum_seconds']:.1f} s, {row['seconds']:.1f} s in all",
        )
    return row


def within_eps(errors, eps_layer) -> dict:
    """Subset-Sum problems and target coefficients within layer i's accuracy eps_layer[i]:
    a coefficient is within eps when every one of its problems is (errors (pi_i, n_in, n_out, K)
    per layer: pi_1 = 2 paths, pi_i = 1 for i >= 2, THEORY §3)."""
    ok = [np.abs(e) <= ep for e, ep in zip(errors, eps_layer)]
    weights = sum(o[0].size for o in ok)
    good = sum(int(o.all(axis=0).sum()) for o in ok)
    return {
        "coefficient_eps": [float(ep) for ep in eps_layer],
        "target_params": weights,
        "problems_within_eps": int(sum(o.sum() for o in ok)),
        "weights_within_eps": good,
        "fraction_within_eps": good / max(weights, 1),
    }


def pruning_study(
    name: str,
    target,
    evaluator,
    y,
    hidden_dims,
    basis_norms,
    seed: int,
    m_sweep,
    m_cap: int,
    bar=None,
    norm_note: str = "",
    cap_reason: str = "time budget of the run (Subset-Sum cost)",
) -> dict:
    """eps from the margins, the bound's m, the sweep and the bound row (module docstring);
    ``bar`` advances by len(m_sweep) + 1 steps."""
    say = (lambda msg: note(bar, msg)) if bar is not None else (lambda msg: None)
    target_logits = evaluator.logits(target)
    target_acc = float(np.mean(np.argmax(target_logits, 1) == y))
    eps, ties = eps_from_margins(target_logits)
    layers = theorem_layers(target, hidden_dims, basis_norms)
    bound = bound_widths(layers, eps)
    say(
        f"{name}: target accuracy {100 * target_acc:.2f} %, eps = {eps:.3e} "
        f"(0.5 % margin quantile / sqrt 2), bound m = {bound['m']}"
    )
    rows = []
    for m in m_sweep:
        row = prune_once(target, m, seed, eps, evaluator, target_logits, y, bar)
        row["kind"] = "sweep"
        rows.append(row)
    bound_row, same = None, []
    if bound["m"] is not None:
        ms = [min(m, m_cap) for m in bound["m"]]
        capped = ms != bound["m"]
        say(f"  at the bound's m {bound['m']}" + (f", capped at {m_cap}: {ms}" if capped else ""))
        same = [r for r in rows if r["m_per_layer"] == ms]
        if same:  # the sweep already ran this exact network (same seed, same m per layer)
            bound_row = dict(same[0])
        else:
            bound_row = prune_once(target, ms, seed, eps, evaluator, target_logits, y, bar)
        bound_row["kind"] = "bound (capped)" if capped else "bound"
        bound_row["capped"] = capped
        rows.append(bound_row)
    if bar is not None and (bound_row is None or same):
        bar.update()  # the bound's stage: nothing (more) to prune
    first = first_match(rows, target_acc)
    return {
        "model": name,
        "target_accuracy": target_acc,
        "eps": eps,
        "eps_rule": "0.5% quantile of the target's "
        "positive test logit margins / sqrt(2): an eps-close network keeps >= 99.5% of those test predictions",
        "tied_test_inputs": ties,
        "delta": DELTA,
        "theorem_layers": layers,
        "bound": bound,
        "norm_note": norm_note,
        "rows": rows,
        "bound_row": bound_row,
        "m_first_match": first,
        "within_goal_at_bound": None
        if bound_row is None
        else bool(abs(bound_row["accuracy"] - target_acc) <= 0.005 + 1e-12),
        "m_cap": m_cap,
        "cap_reason": cap_reason if bound_row is not None and bound_row.get("capped") else None,
    }


def first_match(rows, target_acc: float, tol: float = 0.005):
    """Smallest swept m whose pruned accuracy is within ``tol`` of the target's."""
    ok = [r["m"] for r in rows if r["kind"] == "sweep" and abs(r["accuracy"] - target_acc) <= tol + 1e-12]
    return min(ok) if ok else None


# ---------------------------------------------------------------------- helpers for evaluators
def chunked(fn, x: np.ndarray, chunk: int = 256) -> np.ndarray:
    return np.concatenate([fn(x[s : s + chunk]) for s in range(0, x.shape[0], chunk)])


def relative_error(a: np.ndarray, b: np.ndarray, scale: float = 0.0) -> float:
    """max |a - b| / max(max |b|, scale): relative to b, or to ``scale`` when b is smaller
    (a pruned network that is dead on the data has logits at rounding level, and its
    changes are measured against the target's logit scale, not against that noise)."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), scale, 1e-300))


def honest_equivariance(layers, rng, elements: int = 4) -> float:
    """Equivariance error of the honest 2l-layer pruned network (not its collapse) on one
    random input and a few random group elements (random walks on the generators)."""
    from constructions import equivariance_errors, forward, group_elements

    a_in, a_out = layers[0].basis.action_in, layers[-1].basis.action_out
    group = group_elements(a_in, a_out, rng, count=elements, max_all=0)
    x = rng.standard_normal((1, layers[0].n_in, a_in.size))
    return equivariance_errors(lambda v: forward(layers, v), x, group).max


def engine_equivariance(layers, rng, split: bool) -> float:
    """``constructions.equivariance_error`` of a network (or of a pruned network's
    collapse, fed (relu(x), relu(-x))): random inputs, all group elements when the group
    has at most 256, else 16 random ones."""
    from constructions import equivariance_error, forward, split_input

    first = layers[0]
    n_in = first.n_in // 2 if split else first.n_in
    fn = (lambda x: forward(layers, split_input(x))) if split else (lambda x: forward(layers, x))
    return equivariance_error(fn, first.basis.action_in, layers[-1].basis.action_out, n_in, rng=rng)
