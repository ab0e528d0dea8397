"""The end-to-end experiments (``slt experiment``) as one row per pruned model in ``slt reproduce``.

Each experiment is run through ``slt.experiments.run_experiment(name, quick, seed, out)``,
which also writes its own tables and figure under ``out/experiments_quick`` (the quick
configuration) or ``out/experiments`` (``--experiments full``): a full ``slt reproduce``
never overwrites the full runs ``slt experiment`` writes to ``reports/experiments``. An experiment that
fails (or whose optional dependency, scikit-learn for digits, is missing) is reported as
such in the table and not cached, so the next run tries again; nothing else of
``slt reproduce`` depends on it.
"""

from __future__ import annotations

import traceback

from .tables import Column, Table

NAME = "experiments"
TITLE = "End-to-end experiments: trained equivariant target vs pruned random network"
#: the source these results depend on, besides the dependency packages (cache key)
CODE_MODULES = (
    "slt.experiments",
    "slt.experiments.common",
    "slt.experiments.data",
    "slt.experiments.digits",
    "slt.experiments.ign",
    "slt.experiments.mpnn",
    "slt.experiments.report",
    "slt.experiments.mnist",
    "slt.experiments.pensia",
)
#: where each configuration's experiment files go, under the report directory
EXPERIMENT_DIRS = {True: "experiments_quick", False: "experiments"}
#: compute_cell receives the report directory (the experiments write their own files there)
NEEDS_OUT = True


def names() -> tuple:
    from slt.experiments import EXPERIMENTS

    return tuple(EXPERIMENTS)


#: configuration of the experiments in each preset of ``slt reproduce`` (``--experiments`` overrides):
#: their full configurations alone exceed the 30-minute budget of the full run on 2 cores
CONFIG = {"tiny": None, "quick": "quick", "full": "quick"}


def parameters(preset: str, seed: int, config: str | None = "preset") -> dict:
    """``config``: "quick" or "full" configuration of ``slt experiment``, None for no experiment,
    "preset" for the preset's default (CONFIG)."""
    from . import check_preset

    check_preset(preset)
    if config == "preset":
        config = CONFIG[preset]
    if config not in (None, "quick", "full"):
        raise ValueError(f"experiments configuration must be quick, full or none, got {config!r}")
    return {"names": list(names()) if config else [], "quick": config == "quick", "seed": int(seed)}


def cells(params: dict) -> list[dict]:
    return [{"experiment": n, "quick": params["quick"], "seed": params["seed"], "cost": 50} for n in params["names"]]


def compute_cell(cell: dict, out=None) -> dict:
    """Run one experiment; ``out`` is the report directory (its files go to
    out/EXPERIMENT_DIRS[quick])."""
    import sys
    from pathlib import Path

    from slt.experiments import run_experiment

    name = cell["experiment"]
    target = Path(out) / EXPERIMENT_DIRS[cell["quick"]] if out is not None else None
    try:
        result = run_experiment(name, quick=cell["quick"], seed=cell["seed"], out=target)
    except Exception as exc:  # an experiment failing must not stop the studies
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        print(f"  [{name}] failed: {last}", file=sys.stderr)
        return {"available": True, "failed": True, "reason": f"failed: {last}", "_nocache": True}
    rows = []
    for r in result.get("summary", []):
        rows.append(
            {
                k: r.get(k)
                for k in (
                    "model",
                    "target_accuracy",
                    "pruned_accuracy_bound",
                    "bound_m",
                    "m_run",
                    "m_first_match",
                    "eps",
                    "output_error_max",
                    "kept_params",
                    "random_params",
                    "equivariance_error",
                )
            }
        )
    files = [
        str(Path(f).relative_to(out)) if out is not None and Path(f).is_relative_to(out) else str(f)
        for f in result.get("files", [])
    ]
    return {"available": True, "rows": rows, "files": files}


COLUMNS = [
    Column("experiment", "input"),
    Column("model", "input"),
    Column("status", "input"),
    Column("target_accuracy", "measured", "fraction", "test accuracy of the trained target"),
    Column(
        "pruned_accuracy_bound", "measured", "fraction", "test accuracy of the pruned random network at the bound's m"
    ),
    Column(
        "bound_m", "calibrated", "samples per input field", "Theorem 1 per layer (calibrated separable requirement)"
    ),
    Column("m_run", "input", "samples per input field"),
    Column("m_first_match", "measured", "samples per input field", "first m of the sweep within 0.5 points"),
    Column("eps", "measured", "", "from the target's test margins"),
    Column("output_error_max", "measured"),
    Column("kept_params", "measured", "parameters"),
    Column("random_params", "input", "parameters"),
    Column("equivariance_error", "measured"),
]


def _value(v):
    if isinstance(v, (list, tuple)):
        return "/".join(str(x) for x in v)
    if isinstance(v, float) or isinstance(v, int) or v is None or isinstance(v, str):
        return v
    return str(v)


def assemble(params: dict, results: list) -> list[Table]:
    rows = []
    for c, r in zip(cells(params), results):
        if not r.get("rows"):
            rows.append({"experiment": c["experiment"], "status": r.get("reason", "no result")})
            continue
        for x in r["rows"]:
            rows.append({"experiment": c["experiment"], "status": "ok", **{k: _value(v) for k, v in x.items()}})
    notes = [
        f"{'Quick' if params['quick'] else 'Full'} configuration of `slt experiment NAME`, seed {params['seed']}; "
        f"each experiment's own tables and figure are under {EXPERIMENT_DIRS[params['quick']]}/."
    ]
    return [
        Table(
            NAME,
            TITLE,
            COLUMNS,
            rows,
            notes,
            latex_columns=[
                "experiment",
                "model",
                "target_accuracy",
                "pruned_accuracy_bound",
                "bound_m",
                "m_first_match",
                "eps",
                "output_error_max",
            ],
        )
    ]


def figure(tables: dict, width: float):
    import matplotlib.pyplot as plt
    import numpy as np

    from .figures import bar_values, color

    t = tables[NAME]
    rows = [r for r in t.rows if r.get("status") == "ok"]
    fig, ax = plt.subplots(figsize=(width, 2.3 if width < 4 else 2.2))
    if not rows:
        ax.axis("off")
        ax.text(0.5, 0.5, "no experiment results (see the table)", ha="center", va="center")
        return fig
    one = width < 4
    x = np.arange(len(rows))
    w = 0.38
    for shift, key, c, text in (
        (-w / 2, "target_accuracy", color(0), "trained target (measured)"),
        (w / 2, "pruned_accuracy_bound", color(1), "pruned random network (measured)"),
    ):
        bars = ax.bar(x + shift, [100 * (r.get(key) or np.nan) for r in rows], w, color=c, label=text)
        bar_values(ax, bars, "{:.1f}", fontsize=4.5 if one else 5.5)  # near-equal bars: read the numbers
    names = [f"{r['experiment']}\n{(r.get('model') or '').split()[0] if one else r.get('model', '')}" for r in rows]
    ax.set_xticks(x, names, fontsize=6)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 135 if one else 118)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.legend(loc="upper center", ncol=1 if one else 2, fontsize=6)
    if t.params.get("quick"):
        ax.set_title("quick configurations of `slt experiment NAME --quick` (full: run them one by one)", fontsize=6)
    return fig


def summary(tables: dict) -> dict:
    t = tables[NAME]
    parts = []
    for r in t.rows:
        if r.get("status") == "ok" and r.get("target_accuracy") is not None:
            pr = r.get("pruned_accuracy_bound")
            parts.append(
                f"{r['experiment']}/{r.get('model')}: target {100 * r['target_accuracy']:.1f} %, pruned "
                + (f"{100 * pr:.1f} %" if pr is not None else "not run")
            )
        else:
            parts.append(f"{r['experiment']}: {r.get('status')}")
    return {
        NAME: "Trained equivariant targets and their pruned random networks (no training of the random "
        "network): " + "; ".join(parts) + "."
    }
