"""Shared driver of the experiments: the theorem's setting, the pruning sweep, tables, figures.

Pipeline for one trained target f (a bias-free equivariant classifier, layers rescaled to
||W_i||_op <= 1, inputs of unit norm):

1. eps from the data: the target's test logit margins (top-1 minus top-2). An output
   error ||g(x) - f(x)||_2 < margin(x) / sqrt(2) cannot change the prediction at x, so
   eps = q / sqrt(2), q = the 0.5 % quantile of the margins, guarantees that a pruned
   network g with sup_{||x|| <= 1} ||g - f|| <= eps predicts like f on at least 99.5 % of
   the test inputs: accuracy within 0.5 percentage points.
2. The bound's m: ``bounds.network_width`` (Theorem 1 with the calibrated C, delta) with
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

import csv
import json
import math
import time
from pathlib import Path

import numpy as np

from ..jsonio import json_default, to_jsonable

#: quantile of the target's test margins that sets eps (module docstring)
MARGIN_QUANTILE = 0.005
DELTA = 0.01
#: Okabe-Ito colour-blind-safe palette
PALETTE = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
           "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7"}
DEFAULT_OUT = Path("reports") / "experiments"


class Log:
    """Progress messages on stderr (stdout stays clean for --json)."""

    def __init__(self, sink=None):
        self.sink = sink
        self.t0 = time.perf_counter()

    def __call__(self, msg: str) -> None:
        if self.sink is not None:
            self.sink(f"[{time.perf_counter() - self.t0:7.1f}s] {msg}")


def make_config(configs: dict, quick: bool, override: dict | None) -> dict:
    cfg = dict(configs["quick" if quick else "full"])
    unknown = sorted(set(override or {}) - set(cfg))
    if unknown:
        raise ValueError(f"unknown configuration keys {unknown}: known keys are {sorted(cfg)}")
    cfg.update(override or {})
    return cfg


# ---------------------------------------------------------------------- eps and bounds
def margins(logits: np.ndarray) -> np.ndarray:
    s = np.sort(logits, axis=1)
    return s[:, -1] - s[:, -2]


def eps_from_margins(logits: np.ndarray, quantile: float = MARGIN_QUANTILE) -> tuple[float, int]:
    """(eps, ties): eps = the ``quantile`` of the positive margins / sqrt(2); ties = the
    number of inputs whose two top logits are equal (e.g. all zero), left out of the rule."""
    marg = margins(logits)
    positive = marg[marg > 0]
    if positive.size == 0:
        raise ValueError("the trained target gives tied top logits on every test input (a dead network): "
                         "cannot set eps from its margins; train longer or wider")
    return min(float(np.quantile(positive, quantile)) / math.sqrt(2), 0.5), int(marg.size - positive.size)


def theorem_layers(target, hidden_dims, basis_norms) -> list[dict]:
    return [{"n_in": L.n_in, "n_out": L.n_out, "basis_dim": int(L.basis.dim), "basis_norm": float(norm),
             "hidden_basis_dim": int(h)} for L, h, norm in zip(target, hidden_dims, basis_norms)]


def bound_widths(layers: list[dict], eps: float, delta: float = DELTA) -> dict:
    """Theorem 1's per-layer m with the calibrated C, or the reason it is unavailable."""
    try:
        from bounds.network import network_width
        r = network_width(layers, eps, delta)
    except (ImportError, ValueError) as exc:
        return {"m": None, "label": None, "note": f"Theorem 1 width unavailable: {exc}"}
    out = {"m": [int(row["m"]) for row in r["layers"]], "label": r["label"], "C": r["C"], "c0": r["c0"],
            "C_source": r["C_source"], "eps_pp": [float(row["eps_pp"]) for row in r["layers"]],
            "random_params": int(r["total_random_params"]),
            "lower_bound_params": int(r["total_lower_bound_params"]),
            "extrapolated": any(bool(row.get("extrapolated", False)) for row in r["layers"]),
            "calibration_range": r.get("calibration_eps_pp_range"),
            "note": (f"m_i = ceil(C ln(2/eps''_i) + c0), C = {r['C']:.4g}, c0 = {r['c0']:.4g} ({r['label']}), "
                     f"delta = {delta}")}
    if out["extrapolated"]:
        lo, hi = out["calibration_range"]
        out["note"] += (f"; eps''_i = {min(out['eps_pp']):.1e}..{max(out['eps_pp']):.1e} lies below the calibrated "
                        f"range [{lo:g}, {hi:g}]: the calibrated C is EXTRAPOLATED there")
    return out


# ---------------------------------------------------------------------- pruning sweep
def prune_once(target, m, seed: int, eps: float, evaluator, target_logits, y, log=None,
               honest: int = 2) -> dict:
    """Draw, prune and evaluate at ``m`` (int or per-layer list); one table row."""
    from constructions import overparameterize, prune
    from constructions.verify import layer_bound, network_bound

    ms = list(m) if isinstance(m, (list, tuple)) else [int(m)] * len(target)
    rng = np.random.default_rng([seed, 7, *ms])
    t0 = time.perf_counter()
    random_layers = overparameterize(target, ms, seed=rng)
    result = prune(random_layers, target, eps=eps)
    logits = evaluator.logits(result.collapsed, split=True)
    err = np.linalg.norm(logits - target_logits, axis=1)
    bounds = [layer_bound(L.basis, e) for L, e in zip(target, result.errors)]
    row = {
        "m": max(ms), "m_per_layer": ms,
        "accuracy": float(np.mean(np.argmax(logits, 1) == y)),
        "agreement": float(np.mean(np.argmax(logits, 1) == np.argmax(target_logits, 1))),
        "output_error_max": float(err.max()), "output_error_mean": float(err.mean()),
        "error_bound": float(network_bound(bounds, np.ones(len(bounds)))),
        "coefficient_error_max": float(max(np.abs(e).max() for e in result.errors)),
        "random_params": int(result.random_params), "kept_params": int(result.kept_params),
        "subset_sum_problems": int(result.problems),
        "subset_sum_seconds": float(result.subset_sum_seconds),
    }
    statuses, counts = np.unique(np.concatenate([np.ravel(s) for s in result.status]), return_counts=True)
    row["subset_sum_status"] = {str(k): int(v) for k, v in zip(statuses, counts)}
    # problems whose error stayed above eps''_i (all samples used, or the 44-sample prefix cap)
    row["subset_sum_above_eps"] = int(sum(v for k, v in row["subset_sum_status"].items()
                                          if k in ("infeasible", "capped")))
    eq_rng = np.random.default_rng([seed, 11])
    row["equivariance_error"] = float(evaluator.equivariance(result.collapsed, eq_rng, split=True))
    # relative to the pruned outputs, or to the target's logit scale if the pruned ones are
    # smaller (a network too small to be alive has outputs at rounding level)
    scale = float(np.abs(target_logits).max())
    row["invariance_error_data"] = float(evaluator.invariance(result.collapsed, split=True, scale=scale))
    row["honest_equivariance_error"] = float(evaluator.honest_equivariance(result.pruned, eq_rng))
    row["collapse_check"] = float(evaluator.collapse_check(result, honest, scale))
    row["seconds"] = time.perf_counter() - t0
    if log:
        log(f"  m = {ms}: accuracy {100 * row['accuracy']:.2f} %, agreement {100 * row['agreement']:.2f} %, "
            f"max output error {row['output_error_max']:.2e} (eps {eps:.2e}), Subset-Sum "
            f"{row['subset_sum_seconds']:.1f} s, {row['seconds']:.1f} s in all")
    return row


def pruning_study(name: str, target, evaluator, y, hidden_dims, basis_norms, seed: int, m_sweep,
                  m_cap: int, log=None, norm_note: str = "",
                  cap_reason: str = "time budget of the run (Subset-Sum cost)") -> dict:
    """eps from the margins, the bound's m, the sweep and the bound row (module docstring)."""
    log = log or (lambda msg: None)
    target_logits = evaluator.logits(target)
    target_acc = float(np.mean(np.argmax(target_logits, 1) == y))
    eps, ties = eps_from_margins(target_logits)
    layers = theorem_layers(target, hidden_dims, basis_norms)
    bound = bound_widths(layers, eps)
    log(f"{name}: target accuracy {100 * target_acc:.2f} %, eps = {eps:.3e} "
        f"(0.5 % margin quantile / sqrt 2), bound m = {bound['m']}")
    rows = []
    for m in m_sweep:
        row = prune_once(target, m, seed, eps, evaluator, target_logits, y, log)
        row["kind"] = "sweep"
        rows.append(row)
    bound_row = None
    if bound["m"] is not None:
        ms = [min(m, m_cap) for m in bound["m"]]
        capped = ms != bound["m"]
        log(f"  at the bound's m {bound['m']}" + (f", capped at {m_cap}: {ms}" if capped else ""))
        same = [r for r in rows if r["m_per_layer"] == ms]
        if same:  # the sweep already ran this exact network (same seed, same m per layer)
            bound_row = dict(same[0])
        else:
            bound_row = prune_once(target, ms, seed, eps, evaluator, target_logits, y, log)
        bound_row["kind"] = "bound (capped)" if capped else "bound"
        bound_row["capped"] = capped
        rows.append(bound_row)
    first = first_match(rows, target_acc)
    return {
        "model": name, "target_accuracy": target_acc, "eps": eps, "eps_rule": "0.5% quantile of the target's "
        "positive test logit margins / sqrt(2): an eps-close network keeps >= 99.5% of those test predictions",
        "tied_test_inputs": ties,
        "delta": DELTA, "theorem_layers": layers, "bound": bound, "norm_note": norm_note,
        "rows": rows, "bound_row": bound_row, "m_first_match": first,
        "within_goal_at_bound": None if bound_row is None else
        bool(abs(bound_row["accuracy"] - target_acc) <= 0.005 + 1e-12),
        "m_cap": m_cap, "cap_reason": cap_reason if bound_row is not None and bound_row.get("capped") else None,
    }


def first_match(rows, target_acc: float, tol: float = 0.005):
    """Smallest swept m whose pruned accuracy is within ``tol`` of the target's."""
    ok = [r["m"] for r in rows if r["kind"] == "sweep" and abs(r["accuracy"] - target_acc) <= tol + 1e-12]
    return min(ok) if ok else None


# ---------------------------------------------------------------------- helpers for evaluators
def chunked(fn, x: np.ndarray, chunk: int = 256) -> np.ndarray:
    return np.concatenate([fn(x[s:s + chunk]) for s in range(0, x.shape[0], chunk)])


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


# ---------------------------------------------------------------------- tables
SUMMARY_COLUMNS = [
    ("experiment", "experiment", "{}"), ("model", "model", "{}"),
    ("target_accuracy", "target acc. (\\%)", "pct"), ("pruned_accuracy_bound", "pruned acc. at bound m (\\%)", "pct"),
    ("bound_m", "bound m (per layer)", "{}"), ("bound_label", "bound m is", "{}"), ("m_run", "m run", "{}"),
    ("m_first_match", "first m within 0.5 pp", "{}"),
    ("eps", "$\\varepsilon$", "{:.2e}"), ("output_error_max", "max output error", "{:.2e}"),
    ("error_bound", "error bound (this draw)", "{:.2e}"),
    ("kept_params", "kept params", "{:,}"), ("random_params", "random params", "{:,}"),
    ("subset_sum_seconds", "Subset-Sum (s)", "{:.1f}"), ("equivariance_error", "equiv. error", "{:.1e}"),
]
SWEEP_COLUMNS = [
    ("model", "model", "{}"), ("kind", "row", "{}"), ("m", "m", "{}"), ("accuracy", "pruned acc. (\\%)", "pct"),
    ("agreement", "agreement (\\%)", "pct"), ("output_error_max", "max output error", "{:.2e}"),
    ("output_error_mean", "mean output error", "{:.2e}"), ("error_bound", "error bound (this draw)", "{:.2e}"),
    ("kept_params", "kept", "{:,}"), ("random_params", "random", "{:,}"),
    ("subset_sum_seconds", "Subset-Sum (s)", "{:.1f}"), ("equivariance_error", "equiv. error", "{:.1e}"),
    ("invariance_error_data", "invariance error (data)", "{:.1e}"),
]


def summary_row(experiment: str, study: dict) -> dict:
    b = study["bound_row"]
    bound = study["bound"]
    if b is None:
        m_run = "not run"
    else:
        m_run = "/".join(str(v) for v in b["m_per_layer"]) + (" (capped)" if b.get("capped") else "")
    return {
        "experiment": experiment, "model": study["model"], "target_accuracy": study["target_accuracy"],
        "pruned_accuracy_bound": None if b is None else b["accuracy"],
        "bound_m": "n/a" if bound["m"] is None else "/".join(str(v) for v in bound["m"]),
        "bound_label": "unavailable" if bound["m"] is None else
        (bound["label"] + (", extrapolated" if bound.get("extrapolated") else "")),
        "m_run": m_run, "m_first_match": study["m_first_match"] if study["m_first_match"] is not None else "none",
        "eps": study["eps"],
        "output_error_max": None if b is None else b["output_error_max"],
        "error_bound": None if b is None else b["error_bound"],
        "kept_params": None if b is None else b["kept_params"],
        "random_params": None if b is None else b["random_params"],
        "subset_sum_seconds": None if b is None else b["subset_sum_seconds"],
        "equivariance_error": None if b is None else b["equivariance_error"],
    }


def _fmt(value, fmt: str, latex: bool) -> str:
    if value is None:
        return "--" if latex else ""
    if fmt == "pct":
        return f"{100 * value:.2f}"
    if isinstance(value, (list, tuple)):
        value = "/".join(str(v) for v in value)
    text = fmt.format(value) if not isinstance(value, str) else value
    if latex:
        text = text.replace("%", "\\%").replace("_", "\\_").replace("&", "\\&")
        if fmt.startswith("{:.") and "e" in fmt and "e" in text:
            mant, exp = text.split("e")
            text = f"${mant} \\times 10^{{{int(exp)}}}$"
        text = text.replace(",", "{,}") if fmt == "{:,}" else text
    return text


def write_table(rows: list[dict], columns, stem: Path, caption: str) -> list[Path]:
    """CSV (raw numbers) and LaTeX booktabs (formatted) versions of ``rows``."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv_path, tex_path = stem.with_suffix(".csv"), stem.with_suffix(".tex")
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([key for key, _, _ in columns])
        for r in rows:
            w.writerow(["/".join(map(str, r.get(k))) if isinstance(r.get(k), list) else
                        ("" if r.get(k) is None else r.get(k)) for k, _, _ in columns])
    lines = ["\\begin{table}[t]", "\\centering", "\\small",
             f"\\caption{{{caption}}}", "\\begin{tabular}{" + "l" * 2 + "r" * (len(columns) - 2) + "}",
             "\\toprule", " & ".join(h for _, h, _ in columns) + " \\\\", "\\midrule"]
    for r in rows:
        lines.append(" & ".join(_fmt(r.get(k), f, True) for k, _, f in columns) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    tex_path.write_text("\n".join(lines))
    return [csv_path, tex_path]


def write_json(result: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, sort_keys=True, default=json_default))
    return path



# ---------------------------------------------------------------------- figures
def _matplotlib():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.family": "serif", "font.size": 9, "axes.titlesize": 9, "legend.fontsize": 7.5,
                         "pdf.fonttype": 42, "savefig.dpi": 200})
    return plt


def plot_studies(studies: list[dict], stem: Path, title: str) -> list[Path]:
    """Left: pruned test accuracy vs m (measured, per model), the trained target's accuracy
    as a horizontal line, the run at the bound's per-layer m as a star at max_i m_i. Right: max output error on
    the test data vs m (measured) with eps. One legend below both panels."""
    plt = _matplotlib()
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    colors = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"], PALETTE["purple"]]
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.3))
    ticks = set()
    for s, color in zip(studies, colors):
        sweep = [r for r in s["rows"] if r["kind"] == "sweep"]
        ms = [r["m"] for r in sweep]
        ticks.update(ms)
        axes[0].plot(ms, [100 * r["accuracy"] for r in sweep], "o-", color=color, ms=3.5,
                     label=f"{s['model']}: pruned random network (measured)")
        axes[0].axhline(100 * s["target_accuracy"], color=color, ls="--", lw=1,
                        label=f"{s['model']}: trained target (measured)")
        axes[1].plot(ms, [max(r["output_error_max"], 1e-300) for r in sweep], "o-", color=color, ms=3.5,
                     label=f"{s['model']}: max output error (measured)")
        axes[1].axhline(s["eps"], color=color, ls=":", lw=1, label=f"{s['model']}: eps (from the target's margins)")
        b = s["bound_row"]
        if b is not None:
            ticks.add(b["m"])
            lab = "at the bound's m" + (" (capped)" if b.get("capped") else "")
            axes[0].plot([b["m"]], [100 * b["accuracy"]], "*", color=color, ms=10, ls="none",
                         label=f"{s['model']}: pruned {lab} (measured)")
            axes[1].plot([b["m"]], [max(b["output_error_max"], 1e-300)], "*", color=color, ms=10, ls="none")
    kept = []
    for t in sorted(ticks):  # drop ticks too close on the log axis to be read apart
        if not kept or t / kept[-1] >= 1.3:
            kept.append(t)
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(kept))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel("m (random samples per input field)")
        ax.grid(alpha=0.3, lw=0.5)
    axes[1].set_yscale("log")
    axes[0].set_ylabel("test accuracy (%)")
    axes[1].set_ylabel("max output error (test set)")
    handles = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    labels = [lab for ax in axes for lab in ax.get_legend_handles_labels()[1]]
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=7)
    fig.suptitle(title)
    rows = (len(labels) + 1) // 2
    fig.tight_layout(rect=(0, 0.045 * rows + 0.02, 1, 0.95))
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png")]
    for p in paths:
        fig.savefig(p)
    plt.close(fig)
    return paths


# ---------------------------------------------------------------------- the whole report
def finish(experiment: str, result: dict, studies: list[dict], out, title: str, extra_tables=()) -> dict:
    """Write the summary and sweep tables, the figure and the JSON; returns ``result``."""
    out = Path(out) if out is not None else DEFAULT_OUT
    files = []
    summary = [summary_row(experiment, s) for s in studies]
    files += write_table(summary, SUMMARY_COLUMNS, out / f"{experiment}_summary",
                         f"{title}: trained target vs pruned random network (no training of the random network).")
    sweep = [dict(r, model=s["model"]) for s in studies for r in s["rows"]]
    files += write_table(sweep, SWEEP_COLUMNS, out / f"{experiment}_sweep",
                         f"{title}: pruned accuracy and output error as functions of m (measured).")
    for rows, columns, name, caption in extra_tables:
        files += write_table(rows, columns, out / f"{experiment}_{name}", caption)
    files += plot_studies(studies, out / f"{experiment}_accuracy_vs_m", title)
    result["summary"] = summary
    result["studies"] = studies
    result["files"] = [str(p) for p in files] + [str(out / f"{experiment}.json")]
    write_json(result, out / f"{experiment}.json")
    return to_jsonable(result)
