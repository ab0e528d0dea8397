"""Study 5: sparsity of the ticket: kept parameters versus eps, three kinds of masks.

For the fixed target of each family (the tiny networks of ``width_vs_eps``) one random
network is drawn with M_MAX samples per input field; the networks with m samples are its
prefixes. For each eps, m(eps) is the smallest m of a grid at which every Subset-Sum
instance's optimal error is within its share eps'_i = eps / (2 l sqrt(2 n_{i-1} n_i) ||B_i||)
(``constructions.layer_eps``), so that the three masks below all prune the SAME
random network to error <= eps:

* optimal-error masks: every instance solved to its optimum (``prune(eps=None)``);
* first-prefix masks: adaptive exact solver, stops at the shortest prefix reaching eps'_i
  (``prune(eps=eps)``, the default of ``slt prune``);
* minimum-cardinality masks: the fewest samples within eps'_i per instance, CP-SAT
  (``prune(eps=eps, method="cpsat", min_cardinality=True)``), status "optimal" = the
  minimum is proven.

Kept parameters count both layers of each pair (lambda and mu). Each network's analytic
error bound (this target) is reported beside, and must be <= eps.
"""

from __future__ import annotations

import numpy as np

from .tables import Column, Table

NAME = "sparsity"
#: study modules this one imports computations from (part of its cache key)
CODE_MODULES = ("slt.studies.width_vs_eps",)
TITLE = "Kept parameters versus eps: optimal-error, first-prefix and minimum-cardinality (CP-SAT) masks"
M_MAX = 64
CPSAT_TIME_LIMIT = 20.0
PRESETS = {
    "tiny": {"families": ["MLP", "CNN"], "eps": [0.1, 0.01], "m_grid": [16, 32, 48]},
    "quick": {"families": ["MLP", "CNN", "C4", "S_n 2->2"], "eps": [0.1, 0.01], "m_grid": [16, 32, 48, 64]},
    "full": {
        "families": ["MLP", "CNN", "C4", "S_n 2->2"],
        "eps": [0.1, 0.03, 0.01, 0.003, 0.001],
        "m_grid": list(range(16, 65, 8)),
    },
}


def parameters(preset: str, seed: int) -> dict:
    from . import check_preset
    from .width_vs_eps import FAMILIES

    p = dict(PRESETS[check_preset(preset)])
    p["families"] = {f: {"spec": FAMILIES[f]["spec"], "channels": FAMILIES[f]["channels"]} for f in p["families"]}
    return {**p, "seed": int(seed)}


def cells(params: dict) -> list[dict]:
    return [
        {
            "family": f,
            "spec": cfg["spec"],
            "channels": cfg["channels"],
            "eps": eps,
            "m_grid": params["m_grid"],
            "m_max": M_MAX,
            "seed": params["seed"],
            "time_limit": CPSAT_TIME_LIMIT,
            "cost": (6 if f in ("C4", "D4") else 2) * (1 + (eps < 0.005)),
        }
        for f, cfg in params["families"].items()
        for eps in params["eps"]
    ]


def _status_counts(result) -> dict:
    vals, counts = np.unique(np.concatenate([np.ravel(s) for s in result.status]), return_counts=True)
    return {str(v): int(c) for v, c in zip(vals, counts)}


def compute_cell(cell: dict) -> dict:
    """One family and one eps: the smallest m of the grid, then the three masks there."""
    from constructions import layer_eps, overparameterize, prefix_network, prune, verify

    from .runner import rng_for
    from .width_vs_eps import target_network

    target = target_network(cell["spec"], cell["channels"], cell["seed"])
    wide = overparameterize(target, cell["m_max"], seed=rng_for(cell["seed"], NAME, "draw", cell["family"]))
    eps = cell["eps"]
    share = layer_eps(eps, target)
    found = None
    for m in cell["m_grid"]:  # optimal-error masks, smallest m whose optima are within eps'
        net = prefix_network(wide, target, m)
        opt = prune(net, target, eps=None)
        if all(np.abs(e).max() <= s for e, s in zip(opt.errors, share)):
            found = (m, net, opt)
            break
    if found is None:
        return {"eps": eps, "m": None}
    m, net, opt = found
    first = prune(net, target, eps=eps)
    mincard = prune(
        net, target, eps=eps, method="cpsat", min_cardinality=True, time_limit=cell["time_limit"], workers=1, seed=0
    )
    row = {"eps": eps, "m": m, "random_params": opt.random_params}
    for key, res in (("optimal", opt), ("first", first), ("mincard", mincard)):
        rep = verify(
            res,
            target,
            eps=eps,
            rng=rng_for(cell["seed"], NAME, "verify", cell["family"], eps, key),
            samples=16,
            ascent_steps=0,
            equivariance_elements=1,
            certify=False,
        )
        row[f"kept_{key}"] = res.kept_params
        row[f"error_bound_{key}"] = rep["error_bound"]
    counts = _status_counts(mincard)
    row["mincard_proven"] = counts.get("optimal", 0)
    row["mincard_instances"] = sum(counts.values())
    row["mincard_time_limit"] = counts.get("time-limit", 0)
    return row


COLUMNS = [
    Column("family", "input"),
    Column("sizes", "input"),
    Column("eps", "input"),
    Column(
        "m",
        "input",
        "samples per input field",
        "smallest m of the grid where every instance's optimum is within its share of eps (this draw, this target)",
    ),
    Column("random_params", "input", "parameters"),
    Column("kept_optimal_error", "measured", "parameters", "masks of the optimal Subset-Sum solutions"),
    Column("kept_first_prefix", "measured", "parameters", "adaptive exact: shortest prefix reaching eps'"),
    Column("kept_min_cardinality", "measured", "parameters", "CP-SAT, fewest samples within eps' per instance"),
    Column("kept_fraction_min_cardinality", "measured", "fraction", "kept / random parameters"),
    Column("error_bound_optimal_error", "proven", "", "network error bound for this target (analytic)"),
    Column("error_bound_first_prefix", "proven"),
    Column("error_bound_min_cardinality", "proven"),
    Column("min_cardinality_proven", "measured", "instances", "instances whose minimum CP-SAT proved"),
    Column("min_cardinality_instances", "input", "instances"),
    Column("min_cardinality_time_limit", "measured", "instances", "instances stopped by the time limit"),
]


def assemble(params: dict, results: list) -> list[Table]:
    from .width_vs_eps import sizes_text

    rows = []
    for c, x in zip(cells(params), results):
        row = {"family": c["family"], "sizes": sizes_text(c["spec"], c["channels"]), "eps": x["eps"], "m": x["m"]}
        if x["m"] is not None:
            row.update(
                {
                    "random_params": x["random_params"],
                    "kept_optimal_error": x["kept_optimal"],
                    "kept_first_prefix": x["kept_first"],
                    "kept_min_cardinality": x["kept_mincard"],
                    "kept_fraction_min_cardinality": x["kept_mincard"] / x["random_params"],
                    "error_bound_optimal_error": x["error_bound_optimal"],
                    "error_bound_first_prefix": x["error_bound_first"],
                    "error_bound_min_cardinality": x["error_bound_mincard"],
                    "min_cardinality_proven": x["mincard_proven"],
                    "min_cardinality_instances": x["mincard_instances"],
                    "min_cardinality_time_limit": x["mincard_time_limit"],
                }
            )
        rows.append(row)
    notes = [
        f"One random network per family (prefixes of a draw with {M_MAX} samples per input field), m grid "
        f"{params['m_grid']}; CP-SAT 1 worker, seed 0, {CPSAT_TIME_LIMIT:g} s per instance; run seed "
        f"{params['seed']}.",
        "D4 is left out: proving minimum cardinality for its 144 instances per layer at small eps takes "
        "minutes (see width_vs_eps and error_vs_m for D4).",
    ]
    return [
        Table(
            NAME,
            TITLE,
            COLUMNS,
            rows,
            notes,
            latex_columns=[
                "family",
                "eps",
                "m",
                "random_params",
                "kept_optimal_error",
                "kept_first_prefix",
                "kept_min_cardinality",
                "error_bound_min_cardinality",
            ],
        )
    ]


def figure(tables: dict, width: float):
    from .figures import (
        clean_log_axes,
        color,
        family_panels,
        kind_style,
        legend,
        math_text,
        plain_log_axis,
        shared_legend,
    )

    t = tables[NAME]
    fams, fig, axes, spare = family_panels(t, width)
    series = [
        ("random_params", "random network", "input", color(6)),
        ("kept_optimal_error", "optimal-error masks", "measured", color(0)),
        ("kept_first_prefix", "first-prefix masks", "measured", color(3)),
        ("kept_min_cardinality", "min-cardinality masks (CP-SAT)", "measured", color(1)),
    ]
    for ax, fam in zip(axes, fams):
        rows = [r for r in t.where(family=fam) if r.get("m") is not None]
        rows.sort(key=lambda r: -r["eps"])
        x = [1 / r["eps"] for r in rows]
        for i, (col, text, kind, c) in enumerate(series):
            if kind == "input":
                ax.plot(
                    x,
                    [r[col] for r in rows],
                    color=c,
                    linestyle="-",
                    linewidth=0.8,
                    label=f"{text} at $m(\\varepsilon)$ (input)",
                )
            else:
                ax.plot(x, [r[col] for r in rows], **kind_style(kind, c, marker="os^D"[i]), label=legend(text, kind))
        ax.set_xscale("log")
        ax.set_yscale("log")
        clean_log_axes(ax)
        plain_log_axis(ax)  # the kept counts span about a decade: label 100, 200, 500, ...
        ax.set_xlabel("$1/\\varepsilon$")
        ax.set_ylabel("parameters")
        ax.set_title(math_text(fam), fontsize=7)
    shared_legend(fig, axes, spare)
    return fig


def summary(tables: dict) -> dict:
    t = tables[NAME]
    parts = []
    for fam in dict.fromkeys(r["family"] for r in t.rows):
        rows = [r for r in t.where(family=fam) if r.get("kept_min_cardinality")]
        if rows:
            r = min(rows, key=lambda r: r["eps"])
            parts.append(
                f"{fam} {r['kept_min_cardinality']} vs {r['kept_optimal_error']} "
                f"({100 * r['kept_fraction_min_cardinality']:.0f} % of {r['random_params']})"
            )
    return {
        NAME: "At the same random network and eps, minimum-cardinality masks keep fewer parameters than "
        "first-prefix and optimal-error masks; at the smallest eps, kept by min-cardinality vs optimal-error "
        "masks (share of the random network): " + "; ".join(parts) + "."
    }


def run(preset: str = "quick", seed: int = 0, out=None, **overrides):
    """Run the study in this process; returns ({table name: Table}, matplotlib Figure)."""
    import sys

    from .runner import study_run

    return study_run(sys.modules[__name__], preset, seed, out, **overrides)
