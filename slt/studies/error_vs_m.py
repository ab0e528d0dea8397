"""Study 3: network error versus overparameterisation m (THEORY §3, §5 levels 1-2).

For the fixed target of each family (the same tiny networks as ``width_vs_eps``), one
random network is drawn per seed with M_MAX samples per input field and the networks with
m samples are its prefixes. At each m of a grid the target is pruned with every
Subset-Sum instance solved to its optimum (``constructions.prune``, eps=None) and
verified (``constructions.verify``):

* measured: the largest error over random inputs of the unit sphere, and after projected
  gradient ascent (a lower estimate of the true sup error);
* proven for this target and draw: the analytic network bound from the achieved
  coefficient errors (exact Perron norms of the error envelopes);
* proven for every target with ||W_i||_op <= 1 (certificate of this draw): the network bound
  from every instance's sup-error (``width_vs_eps.bound_curve``: exact up to
  ``max_nonzero`` nonzero samples, rigorous upper bound beyond).

All decay exponentially in m; the fitted rate (bits of precision per sample, slope of
-log2(error) against m) is reported: about one bit per nonzero sample, i.e. 1/2 per
sample of the construction (half of them are zeroed by the ReLU).
"""

from __future__ import annotations

import numpy as np

from .tables import Column, Table

NAME = "error_vs_m"
#: study modules this one imports computations from (part of its cache key)
CODE_MODULES = ("slt.studies.width_vs_eps",)
TITLE = "Network error versus overparameterisation m (samples per input field): measured and certified"
#: samples per input field of the wide draw (networks with m <= M_MAX are its prefixes)
M_MAX = 128
PRESETS = {
    "tiny": {
        "families": ["MLP", "C4"],
        "seeds": 1,
        "m": [4, 8, 12, 16],
        "m_cert": [32],
        "max_nonzero": 10,
        "samples": 32,
        "ascent_steps": 4,
    },
    "quick": {
        "families": None,
        "seeds": 1,
        "m": list(range(8, 57, 8)),
        "m_cert": [80, 104, 128],
        "max_nonzero": 14,
        "samples": 128,
        "ascent_steps": 10,
    },
    "full": {
        "families": None,
        "seeds": 5,
        "m": list(range(4, 65, 4)),
        "m_cert": list(range(72, 129, 8)),
        "max_nonzero": 16,
        "samples": 256,
        "ascent_steps": 20,
    },
}


def parameters(preset: str, seed: int) -> dict:
    from . import check_preset
    from .width_vs_eps import FAMILIES

    p = dict(PRESETS[check_preset(preset)])
    names = p.pop("families") or list(FAMILIES)
    p["families"] = {f: {"spec": FAMILIES[f]["spec"], "channels": FAMILIES[f]["channels"]} for f in names}
    return {**p, "seed": int(seed)}


def cells(params: dict) -> list[dict]:
    return [
        {
            "family": f,
            "spec": cfg["spec"],
            "channels": cfg["channels"],
            "m": params["m"],
            "m_cert": params["m_cert"],
            "m_max": M_MAX,
            "max_nonzero": params["max_nonzero"],
            "samples": params["samples"],
            "ascent_steps": params["ascent_steps"],
            "seed": params["seed"],
            "draw": s,
            "cost": 4 if f in ("C4", "D4") else 1,
        }
        for f, cfg in params["families"].items()
        for s in range(params["seeds"])
    ]


def compute_cell(cell: dict) -> dict:
    from constructions import overparameterize, prefix_network, prune, verify

    from .runner import rng_for
    from .width_vs_eps import bound_curve, target_network

    target = target_network(cell["spec"], cell["channels"], cell["seed"])
    rng = rng_for(cell["seed"], NAME, "draw", cell["family"], cell["draw"])
    wide = overparameterize(target, cell["m_max"], seed=rng)
    cert, cert_exact = bound_curve(wide, target, cell["max_nonzero"])
    rows = []
    for m in cell["m"]:
        net = prefix_network(wide, target, m)
        res = prune(net, target, eps=None)
        rep = verify(
            res,
            target,
            eps=None,
            rng=rng_for(cell["seed"], NAME, "verify", cell["family"], cell["draw"], m),
            samples=cell["samples"],
            ascent_steps=cell["ascent_steps"],
            equivariance_elements=2,
            certify=False,
        )
        rows.append(
            {
                "m": m,
                "error_bound": rep["error_bound"],
                "sup_error_sampled": rep["sup_error_sampled"],
                "sup_error_ascent": rep["sup_error_ascent"],
                "certified_bound": float(cert[m]),
                "certified_exact": bool(cert_exact[m]),
                "coefficient_error_max": rep["coefficient_error_max"],
                "kept_params": rep["kept_params"],
                "random_params": rep["random_params"],
                "equivariance_error": rep["equivariance_error"],
            }
        )
    for m in cell["m_cert"]:  # beyond the exact solver's range: the certificate only
        rows.append(
            {
                "m": m,
                "certified_bound": float(cert[m]),
                "certified_exact": bool(cert_exact[m]),
                "random_params": int(sum(L.coeffs.size for L in prefix_network(wide, target, m))),
            }
        )
    return {"rows": rows}


COLUMNS = [
    Column("family", "input"),
    Column("sizes", "input"),
    Column("draw", "input", "", "seed index of the random network"),
    Column("m", "input", "samples per input field"),
    Column("sup_error_sampled_measured", "measured", "", "max error over random unit-sphere inputs"),
    Column("sup_error_ascent_measured", "measured", "", "after projected gradient ascent (lower estimate of the sup)"),
    Column(
        "error_bound_this_target",
        "proven",
        "",
        "network bound from the achieved coefficient errors (this target, this draw)",
    ),
    Column(
        "certified_bound_all_targets",
        "proven",
        "",
        "certificate of this draw: bound for every target with ||W_i|| <= 1",
    ),
    Column(
        "certified_exact",
        "input",
        "",
        "true if every sup-error entering the certificate is exact (else a rigorous upper bound)",
    ),
    Column("coefficient_error_max_measured", "measured", "", "largest Subset-Sum error (optimal solutions)"),
    Column("kept_params_measured", "measured", "parameters"),
    Column("random_params", "input", "parameters"),
    Column("equivariance_error_measured", "measured", "", "pruned network, float64"),
]
FIT_COLUMNS = [
    Column("family", "input"),
    Column("quantity", "input"),
    Column("m_min", "input"),
    Column("m_max", "input"),
    Column(
        "bits_per_sample_measured",
        "measured",
        "bits per sample",
        "least-squares slope of -log2(median error over draws) against m",
    ),
    Column(
        "bits_per_nonzero_sample_measured",
        "measured",
        "bits per nonzero sample",
        "twice the above (half the samples are zero)",
    ),
]


def assemble(params: dict, results: list) -> list[Table]:
    from .width_vs_eps import sizes_text

    cs = cells(params)
    rows, fits = [], []
    for c, r in zip(cs, results):
        for x in r["rows"]:
            rows.append(
                {
                    "family": c["family"],
                    "sizes": sizes_text(c["spec"], c["channels"]),
                    "draw": c["draw"],
                    "m": x["m"],
                    "sup_error_sampled_measured": x.get("sup_error_sampled"),
                    "sup_error_ascent_measured": x.get("sup_error_ascent"),
                    "error_bound_this_target": x.get("error_bound"),
                    "certified_bound_all_targets": x["certified_bound"],
                    "certified_exact": x["certified_exact"],
                    "coefficient_error_max_measured": x.get("coefficient_error_max"),
                    "kept_params_measured": x.get("kept_params"),
                    "random_params": x["random_params"],
                    "equivariance_error_measured": x.get("equivariance_error"),
                }
            )
    for fam in params["families"]:
        for col, label in (
            ("error_bound_this_target", "error bound, this target"),
            ("sup_error_ascent_measured", "sup error, measured"),
            ("certified_bound_all_targets", "certified bound, all targets"),
        ):
            med = median_by_m([r for r in rows if r["family"] == fam], col)
            # the exponential regime: from the first m where the error is below 1, and above float noise
            pts = [(m, v) for m, v in med if v is not None and 1e-13 < v < 1.0]
            if col == "certified_bound_all_targets":  # only where every sup-error is exact, not our bound's
                exact = {r["m"] for r in rows if r["family"] == fam and r["certified_exact"]}
                pts = [(m, v) for m, v in pts if m in exact]
            if len(pts) >= 3:
                ms, vs = np.array([p[0] for p in pts], float), -np.log2([p[1] for p in pts])
                slope = float(np.polyfit(ms, vs, 1)[0])
                fits.append(
                    {
                        "family": fam,
                        "quantity": label,
                        "m_min": int(ms.min()),
                        "m_max": int(ms.max()),
                        "bits_per_sample_measured": slope,
                        "bits_per_nonzero_sample_measured": 2 * slope,
                    }
                )
    notes = [
        f"{params['seeds']} random network(s) per family, prefixes of one draw with {M_MAX} samples per input "
        f"field; every Subset-Sum instance solved to optimality for m <= {max(params['m'])} (beyond: the "
        f"certificate only); {params['samples']} random inputs and "
        f"{params['ascent_steps']} ascent steps; run seed {params['seed']}.",
        f"Certified bound: sup-errors exact up to {params['max_nonzero']} nonzero samples per instance, rigorous "
        f"upper bound beyond.",
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
                "draw",
                "m",
                "sup_error_ascent_measured",
                "error_bound_this_target",
                "certified_bound_all_targets",
                "kept_params_measured",
                "random_params",
            ],
        ),
        Table(
            f"{NAME}_fits",
            "Exponential decay: bits of precision gained per sample (slope of -log2 error vs m)",
            FIT_COLUMNS,
            fits,
            [
                "Fitted where the median error over draws lies in (1e-13, 1), i.e. in the "
                "exponential regime, with at least 3 points; the certified bound only where all "
                "its sup-errors are exact (beyond, it is a looser rigorous bound)."
            ],
        ),
    ]


def median_by_m(rows: list, col: str) -> list:
    out = []
    for m in sorted({r["m"] for r in rows}):
        vals = [r[col] for r in rows if r["m"] == m and r[col] is not None]
        out.append((m, float(np.median(vals)) if vals else None))
    return out


def figure(tables: dict, width: float):
    from .figures import clean_log_axes, color, family_panels, kind_style, legend, math_text, shared_legend

    t = tables[NAME]
    fams, fig, axes, spare = family_panels(t, width)
    one = width < 4
    series = [
        ("certified_bound_all_targets", "certified, all targets", "proven", color(2)),
        ("error_bound_this_target", "bound, this target", "proven", color(0)),
        ("sup_error_ascent_measured", "sup error (ascent)", "measured", color(1)),
        ("sup_error_sampled_measured", "sup error (samples)", "measured", color(3)),
    ]
    for ax, fam in zip(axes, fams):
        rows = t.where(family=fam)
        for col, text, kind, c in series:
            med = [(m, v) for m, v in median_by_m(rows, col) if v is not None and v > 0]
            style = kind_style(kind, c, marker="o" if kind == "measured" else None, markersize=2)
            if kind == "proven":
                style["linestyle"] = "-" if col.startswith("error") else "--"
            if med:
                ax.plot(*zip(*med), **style, label=legend(text, kind))
            if col == "certified_bound_all_targets":
                exact = {r["m"] for r in rows if r["certified_exact"]}
                ex = [(m, v) for m, v in med if m in exact]
                if ex:
                    cap = t.params.get("max_nonzero")
                    ax.plot(
                        *zip(*ex),
                        linestyle="none",
                        marker="o",
                        fillstyle="none",
                        markersize=3,
                        color=c,
                        label="certificate exact" + (f" (<= {cap} nonzero)" if cap else ""),
                    )
            draws = sorted({r["draw"] for r in rows})
            if len(draws) > 1:
                ms = sorted({r["m"] for r in rows})
                ms = [m for m in ms if all(r[col] is not None for r in rows if r["m"] == m)]
                lo = [min(r[col] for r in rows if r["m"] == m) for m in ms]
                hi = [max(r[col] for r in rows if r["m"] == m) for m in ms]
                ax.fill_between(ms, lo, hi, color=c, alpha=0.12, linewidth=0)
        ax.axhline(1.0, color="black", linewidth=0.5, linestyle=":")
        solved = max((r["m"] for r in rows if r.get("error_bound_this_target") is not None), default=None)
        if solved is not None and solved < max(r["m"] for r in rows):  # beyond: the certificate only
            ax.axvline(
                solved, color="gray", linewidth=0.6, linestyle="-.", label="last m solved (beyond: certificate only)"
            )
        ax.set_yscale("log")
        clean_log_axes(ax)
        ax.set_xlabel("m (samples per input field)" if not one else "m (samples / field)")
        ax.set_ylabel("sup error over unit ball" if not one else "sup error, unit ball")
        ax.set_title(math_text(fam), fontsize=7)
    multi = len({r["draw"] for r in t.rows}) > 1
    shared_legend(fig, axes, spare, title="median over draws (band: range)" if multi else None, title_fontsize=6)
    return fig


def summary(tables: dict) -> dict:
    fits = tables[f"{NAME}_fits"]
    parts = [
        f"{r['family']} {r['bits_per_nonzero_sample_measured']:.2f}"
        for r in fits.rows
        if r["quantity"] == "error bound, this target"
    ]
    cert = [
        f"{r['family']} {r['bits_per_nonzero_sample_measured']:.2f}"
        for r in fits.rows
        if r["quantity"] == "certified bound, all targets"
    ]
    return {
        NAME: "The error of the pruned network decays exponentially in m, for one target (measured and its "
        "analytic bound) and for all targets at once (certificate), which needs more samples.",
        f"{NAME}_fits": "Bits of precision per nonzero sample, analytic bound for the fixed target: "
        + "; ".join(parts)
        + (". Certificate (all targets): " + "; ".join(cert) if cert else "")
        + " (physical limit about 1).",
    }


def run(preset: str = "quick", seed: int = 0, out=None, **overrides):
    """Run the study in this process; returns ({table name: Table}, matplotlib Figure)."""
    import sys

    from .runner import study_run

    return study_run(sys.modules[__name__], preset, seed, out, **overrides)
