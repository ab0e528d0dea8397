"""The files of an experiment: labelled tables, the accuracy figure and the full JSON.

The same pipeline as the studies of ``slt reproduce``: tables are
:class:`slt.studies.tables.Table` objects (every column labelled input / proven /
calibrated / measured; CSV, booktabs LaTeX and JSON), the figure is drawn in the paper
style of :mod:`slt.studies.figures` (Okabe-Ito palette, one- and two-column widths,
PDF + PNG), and every file is written atomically (temporary file + rename).

Files under ``out`` for experiment NAME: NAME_summary.{csv,tex,json} (one row per pruned
model), NAME_sweep.{csv,tex,json} (one row per pruned network), extra tables (digits:
NAME_models), NAME_accuracy_vs_m_{1col,2col}.{pdf,png}, and NAME.json (everything).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..jsonio import json_default, to_jsonable
from ..studies.cache import atomic_write_text
from ..studies.figures import save_figure
from ..studies.tables import Column, Table

DEFAULT_OUT = Path("reports") / "experiments"

SUMMARY_COLUMNS = [
    Column("experiment", "input"),
    Column("model", "input"),
    Column("target_accuracy", "measured", "fraction", "test accuracy of the trained target"),
    Column(
        "pruned_accuracy_bound",
        "measured",
        "fraction",
        "test accuracy of the pruned random network at the bound's m (as run: see m_run)",
    ),
    Column(
        "bound_m", "calibrated", "samples per input field", "Theorem 1 per layer (calibrated separable requirement)"
    ),
    Column("bound_label", "calibrated", "", "how bound_m is known (extrapolated: eps'' below the calibrated range)"),
    Column("m_run", "input", "samples per input field", "m per layer of the network pruned at the bound"),
    Column("m_first_match", "measured", "samples per input field", "first swept m within 0.5 points of the target"),
    Column("eps", "measured", "", "0.5 % quantile of the target's test logit margins / sqrt(2)"),
    Column("output_error_max", "measured", "", "max over the test set of ||g(x) - f(x)||"),
    Column("error_bound", "proven", "", "network error bound of this draw for this target (analytic)"),
    Column("kept_params", "measured", "parameters"),
    Column("random_params", "input", "parameters"),
    Column("subset_sum_seconds", "measured", "s"),
    Column("equivariance_error", "measured", "", "pruned network (collapsed), float64"),
]
SWEEP_COLUMNS = [
    Column("model", "input"),
    Column("kind", "input", "", "sweep, or the run at the bound's m"),
    Column("m", "input", "samples per input field", "max over layers"),
    Column("accuracy", "measured", "fraction", "test accuracy of the pruned random network"),
    Column("agreement", "measured", "fraction", "test predictions equal to the target's"),
    Column("output_error_max", "measured"),
    Column("output_error_mean", "measured"),
    Column("error_bound", "proven", "", "network error bound of this draw for this target (analytic)"),
    Column("kept_params", "measured", "parameters"),
    Column("random_params", "input", "parameters"),
    Column("subset_sum_seconds", "measured", "s"),
    Column("equivariance_error", "measured"),
    Column("invariance_error_data", "measured", "", "test logits: transformed vs original inputs (relative)"),
]


def summary_row(experiment: str, study: dict) -> dict:
    """One row of NAME_summary: the target and its pruned network at the bound's m."""
    b = study["bound_row"]
    bound = study["bound"]
    if b is None:
        m_run = "not run"
    else:
        m_run = "/".join(str(v) for v in b["m_per_layer"]) + (" (capped)" if b.get("capped") else "")
    row = {
        "experiment": experiment,
        "model": study["model"],
        "target_accuracy": study["target_accuracy"],
        "bound_m": "n/a" if bound["m"] is None else "/".join(str(v) for v in bound["m"]),
        "bound_label": "unavailable"
        if bound["m"] is None
        else (bound["label"] + (", extrapolated" if bound.get("extrapolated") else "")),
        "m_run": m_run,
        "m_first_match": study["m_first_match"] if study["m_first_match"] is not None else "none",
        "eps": study["eps"],
    }
    for key, name in (
        ("pruned_accuracy_bound", "accuracy"),
        ("output_error_max", "output_error_max"),
        ("error_bound", "error_bound"),
        ("kept_params", "kept_params"),
        ("random_params", "random_params"),
        ("subset_sum_seconds", "subset_sum_seconds"),
        ("equivariance_error", "equivariance_error"),
    ):
        row[key] = None if b is None else b[name]
    return row


#: the columns of the LaTeX versions (all of them are in the CSV and JSON)
LATEX_COLUMNS = {
    "summary": [
        "model",
        "target_accuracy",
        "pruned_accuracy_bound",
        "bound_m",
        "m_first_match",
        "eps",
        "output_error_max",
        "kept_params",
    ],
    "sweep": ["model", "kind", "m", "accuracy", "agreement", "output_error_max", "error_bound", "kept_params"],
}


def table(name: str, title: str, columns, rows, notes=(), params=None, latex_columns=None) -> Table:
    """A Table of ``rows`` restricted to ``columns`` (lists written as a/b/c, as in the CSV)."""
    names = [c.name for c in columns]
    cells = [
        {k: ("/".join(map(str, r[k])) if isinstance(r.get(k), (list, tuple)) else r.get(k)) for k in names}
        for r in rows
    ]
    return Table(name, title, list(columns), cells, list(notes), dict(params or {}), latex_columns)


def accuracy_figure(studies: list[dict], title: str, width: float):
    """Left: pruned test accuracy vs m (measured, per model), the trained target's accuracy
    as a horizontal line, the run at the bound's per-layer m as a star at max_i m_i. Right:
    max output error on the test data vs m (measured) with eps. One legend for both panels."""
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    from ..studies.figures import clean_log_axes, color, legend, panel_grid, shared_legend

    one = width < 4
    fig, (acc, err) = panel_grid(2, width, panel_height=1.9 if one else 2.4, max_cols=1 if one else 2)
    ticks = set()
    for i, s in enumerate(studies):
        c, model = color(i), s["model"]
        sweep = [r for r in s["rows"] if r["kind"] == "sweep"]
        ms = [r["m"] for r in sweep]
        ticks.update(ms)
        acc.plot(
            ms,
            [100 * r["accuracy"] for r in sweep],
            "o-",
            color=c,
            ms=3,
            label=legend(f"{model}: pruned random network", "measured"),
        )
        acc.axhline(
            100 * s["target_accuracy"], color=c, ls="--", lw=0.8, label=legend(f"{model}: trained target", "measured")
        )
        err.plot(
            ms,
            [max(r["output_error_max"], 1e-300) for r in sweep],
            "o-",
            color=c,
            ms=3,
            label=legend(f"{model}: max output error", "measured"),
        )
        err.axhline(s["eps"], color=c, ls=":", lw=0.8, label=f"{model}: eps (from the target's margins)")
        b = s["bound_row"]
        if b is not None:
            ticks.add(b["m"])
            at = "at the bound's m" + (" (capped)" if b.get("capped") else "")
            acc.plot(
                [b["m"]],
                [100 * b["accuracy"]],
                "*",
                color=c,
                ms=8,
                ls="none",
                label=legend(f"{model}: pruned {at}", "measured"),
            )
            err.plot([b["m"]], [max(b["output_error_max"], 1e-300)], "*", color=c, ms=8, ls="none")
    kept = []
    for t in sorted(ticks):  # drop ticks too close on the log axis to be read apart
        if not kept or t / kept[-1] >= (1.6 if one else 1.3):
            kept.append(t)
    for ax in (acc, err):
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(kept))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("m (samples per input field)")
    err.set_yscale("log")
    clean_log_axes(err)
    acc.set_ylabel("test accuracy (%)")
    err.set_ylabel("max output error")
    fig.suptitle(title, fontsize=8)
    shared_legend(fig, [acc, err], None, fontsize=5.5 if one else 6.5)
    return fig


def finish(experiment: str, result: dict, studies: list[dict], out, title: str, extra_tables=()) -> dict:
    """Write the summary and sweep tables (plus ``extra_tables``: (rows, columns, name, title)
    tuples), the figure and the JSON under ``out``; returns ``result`` made JSON-able."""
    out = Path(out) if out is not None else DEFAULT_OUT
    params = {
        "experiment": experiment,
        "seed": result.get("seed"),
        "quick": result.get("quick"),
        "config": result.get("config"),
    }
    notes = [
        f"`slt experiment {experiment}{' --quick' if result.get('quick') else ''}` with seed "
        f"{result.get('seed')}; accuracies on the test set; the random network is only pruned, never trained."
    ]
    notes += [s["bound"]["note"] for s in studies if s["bound"].get("note")][:1]
    summary = [summary_row(experiment, s) for s in studies]
    sweep = [dict(r, model=s["model"]) for s in studies for r in s["rows"]]
    tables = [
        table(
            f"{experiment}_summary",
            f"{title}: trained target vs pruned random network (no training of the random network)",
            SUMMARY_COLUMNS,
            summary,
            notes,
            params,
            LATEX_COLUMNS["summary"],
        ),
        table(
            f"{experiment}_sweep",
            f"{title}: pruned accuracy and output error as functions of m",
            SWEEP_COLUMNS,
            sweep,
            notes[:1],
            params,
            LATEX_COLUMNS["sweep"],
        ),
    ]
    tables += [
        table(f"{experiment}_{name}", caption, columns, rows, notes[:1], params)
        for rows, columns, name, caption in extra_tables
    ]
    files = [p for t in tables for p in t.write(out).values()]
    figures = save_figure(
        lambda _, width: accuracy_figure(studies, title, width),
        f"{experiment}_accuracy_vs_m",
        out,
        None,
        preset="quick" if result.get("quick") else None,
    )
    files += [p for layout in figures.values() for p in layout.values()]
    result["summary"] = summary
    result["studies"] = studies
    result["files"] = [str(p) for p in files] + [str(out / f"{experiment}.json")]
    atomic_write_text(out / f"{experiment}.json", json.dumps(result, indent=1, sort_keys=True, default=json_default))
    return to_jsonable(result)
