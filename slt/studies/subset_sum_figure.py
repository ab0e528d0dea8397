"""The figure of study 1 (``subset_sum_curve``): four panels, one per measured quantity.

(a) median and 99th percentile of the best error for one target versus n, (b) failure rate
for one target with the published reference points, (c) P(sup-error <= eps) (all targets),
(d) samples needed per bit of precision with the least-squares fits and, over its measured
range only, the calibrated constant of ``slt calibrate``.
"""

from __future__ import annotations

import math

import numpy as np

EPS_LINESTYLES = ["-", "--", ":", "-."]


def _style_legend(ax, dists, col, eps_list, extra=()):
    """Compact legend to the right of the panel (it hides no curve): colour = distribution,
    line style = eps (plus extra handles)."""
    from matplotlib.lines import Line2D

    from .figures import outside_legend

    handles = [Line2D([], [], color=col[d], label=dists[d]) for d in dists]
    handles += [
        Line2D([], [], color="gray", linestyle=EPS_LINESTYLES[j], label=f"$\\varepsilon$ = {e:g}")
        for j, e in enumerate(eps_list)
    ]
    handles += list(extra)
    outside_legend(ax, handles, below=ax.figure.get_figwidth() < 4)


def figure(tables: dict, width: float, name: str, labels: dict, calibration: dict | None):
    """The four panels from the study's tables ``name``, ``name_errors``, ``name_reference``
    and ``name_fits``; ``labels``: distribution -> legend label, in colour order;
    ``calibration``: the shipped calibrated constant (drawn over its range) or None."""
    from .figures import color, panel_grid

    curve = tables[name]
    dists = {d: label for d, label in labels.items() if curve.where(distribution=d)}
    col = {d: color(i) for i, d in enumerate(labels) if d in dists}
    one = width < 4
    fig, (a1, a2, a3, a4) = panel_grid(4, width, panel_height=3.4 if one else 2.4, max_cols=1 if one else 2)
    _best_error_panel(a1, tables[f"{name}_errors"], dists, col)
    _failure_panel(a2, curve, tables.get(f"{name}_reference"), dists, col)
    _sup_panel(a3, curve, dists, col)
    _bits_panel(a4, curve, tables[f"{name}_fits"], dists, col, calibration)
    return fig


def _best_error_panel(ax, errs, dists, col):
    """(a) best error vs n: median and 99th percentile, with 2^-n."""
    from matplotlib.lines import Line2D

    for d in dists:
        rows = errs.where(distribution=d)
        for q, ls, lw in ((50, "-", 1.2), (99, ":", 0.8)):
            pts = [(r["n"], r[f"best_error_q{q}_measured"]) for r in rows if r[f"best_error_q{q}_measured"] is not None]
            if pts:
                ax.plot(*zip(*pts), color=col[d], linestyle=ls, linewidth=lw)
    nn = np.arange(1, 45)
    ax.plot(nn, 2.0**-nn, color="black", linewidth=0.7, linestyle="--")
    ax.set_yscale("log")
    ax.set_ylim(1e-9, 2)
    ax.set_xlabel("n (samples drawn)")
    ax.set_ylabel("best error for one target")
    ax.set_title("(a) best error vs n (measured)")
    extra = [
        Line2D([], [], color="gray", linestyle="-", label="median"),
        Line2D([], [], color="gray", linestyle=":", label="99th percentile"),
        Line2D([], [], color="black", linestyle="--", linewidth=0.7, label="$2^{-n}$ (1 bit per sample)"),
    ]
    _style_legend(ax, dists, col, [], extra)


def _failure_panel(ax, curve, refs, dists, col):
    """(b) P(best error > eps), log scale: the published reference points are visible."""
    from matplotlib.lines import Line2D

    from .figures import kind_style

    show = [e for e in (1e-2, 1e-5, 1e-8) if curve.where(eps=e)]
    for d in dists:
        for j, e in enumerate(show):
            rows = [
                r
                for r in curve.where(distribution=d, eps=e)
                if r["p_target_measured"] is not None and r["p_target_measured"] < 1
            ]
            if rows:
                ax.plot(
                    [r["n"] for r in rows],
                    [1 - r["p_target_measured"] for r in rows],
                    color=col[d],
                    linestyle=EPS_LINESTYLES[j],
                    linewidth=1.0,
                )
    extra = []
    if refs is not None:
        for r in refs.rows:
            ax.plot(r["n"], r["failure_rate_published"], **kind_style("reference", "black"))
            ax.plot(
                [r["n"]] * 2,
                [r["ci95_low_measured"], r["ci95_high_measured"]],
                color=col[r["distribution"]],
                linewidth=2.5,
                alpha=0.6,
            )
        extra = [
            Line2D([], [], **kind_style("reference", "black"), label="published, n=15, $\\varepsilon$=0.01"),
            Line2D([], [], color="gray", linewidth=2.5, alpha=0.6, label="measured 95% CI"),
        ]
    ax.set_yscale("log")
    ax.set_ylim(1e-3 if not refs or not refs.rows else 5e-4, 1.2)
    ax.set_xlabel("n (samples drawn)")
    ax.set_ylabel("P(best error > $\\varepsilon$)")
    ax.set_title("(b) failure rate, one target (measured)")
    _style_legend(ax, dists, col, show, extra)


def _sup_panel(ax, curve, dists, col):
    """(c) P(sup-error <= eps): all targets z in [-1, 1] at once. A curve that stops below 1
    stops at the enumeration cap (exact sup-error up to K nonzero samples): marked |."""
    from .figures import cap_handle, end_marker

    show_sup = [e for e in (1e-1, 1e-2, 1e-3, 1e-4) if curve.where(eps=e)]
    capped = False
    for d in dists:
        for j, e in enumerate(show_sup):
            rows = [r for r in curve.where(distribution=d, eps=e) if r["p_sup_measured"] is not None]
            if rows:
                ax.plot(
                    [r["n"] for r in rows],
                    [r["p_sup_measured"] for r in rows],
                    color=col[d],
                    linestyle=EPS_LINESTYLES[j],
                    linewidth=1.0,
                )
                if rows[-1]["p_sup_measured"] < 1 and rows[-1]["n"] < max(r["n"] for r in curve.where(distribution=d)):
                    end_marker(ax, rows[-1]["n"], rows[-1]["p_sup_measured"], col[d])
                    capped = True
    cap = curve.params.get("sup_max_nonzero")
    extra = [cap_handle(f"enumeration cap ({cap} nonzero)" if cap else "enumeration cap")] if capped else []
    ax.set_xlabel("n (samples drawn)")
    ax.set_ylabel("P(sup-error $\\leq \\varepsilon$)")
    ax.set_title("(c) all targets $z \\in [-1, 1]$ (measured)")
    _style_legend(ax, dists, col, show_sup, extra)


def _needed(curve, d, q):
    """(log2(1/eps), smallest n with P(best error <= eps) >= q) for every eps of the curve."""
    pts = []
    for e in sorted({r["eps"] for r in curve.rows}):
        ok = [
            r["n"]
            for r in curve.where(distribution=d, eps=e)
            if r["p_target_measured"] is not None and r["p_target_measured"] >= q
        ]
        if ok:
            pts.append((math.log2(1 / e), min(ok)))
    return pts


def _bits_panel(ax, curve, fits, dists, col, calibration):
    """(d) samples needed per bit: n50, n99, their fits, and the calibrated one-constant form over its range."""
    from matplotlib.lines import Line2D

    from .figures import kind_style, legend

    xs = np.array([0.0, 28.0])
    for d in dists:
        for qn, mk, q in (("n50", "o", 0.5), ("n99", "s", 0.99)):
            pts = _needed(curve, d, q)
            if pts:
                ax.plot(
                    *zip(*pts),
                    marker=mk,
                    linestyle="none",
                    color=col[d],
                    markersize=3,
                    fillstyle="full" if qn == "n50" else "none",
                )
            fit = [r for r in fits.where(distribution=d, quantity=f"{qn} target") if r["slope_measured"] is not None]
            if fit:
                ax.plot(
                    xs,
                    fit[0]["slope_measured"] * xs + fit[0]["intercept_measured"],
                    color=col[d],
                    linewidth=0.7,
                    linestyle="-" if qn == "n50" else "--",
                )
    ax.plot(xs, xs, color="black", linewidth=0.8, linestyle=":")
    extra = [
        Line2D(
            [],
            [],
            color="gray",
            marker="o",
            linestyle="-",
            linewidth=0.7,
            markersize=3,
            label=legend("n50 + fit", "measured"),
        ),
        Line2D(
            [],
            [],
            color="gray",
            marker="s",
            fillstyle="none",
            linestyle="--",
            linewidth=0.7,
            markersize=3,
            label=legend("n99 + fit", "measured"),
        ),
        Line2D([], [], color="black", linestyle=":", linewidth=0.8, label="1 sample per bit"),
    ]
    c = calibration if any(r.get("slope_calibrated") is not None for r in fits.rows) else None
    if c is not None:  # only over the calibrated range of eps'' (no extrapolation)
        lo, hi = c.get("eps_pp_range") or [1e-3, 0.2]
        bits = np.linspace(math.log2(1 / hi), math.log2(1 / lo), 20)
        style = kind_style("calibrated", col.get("pensia", "gray"))
        ax.plot(bits, c["C"] * np.log(2 / 2.0**-bits) + c["c0"], **style)
        extra.append(Line2D([], [], **style, label=legend("$C\\,\\ln(2/\\varepsilon) + c_0$, all $z$", "calibrated")))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("$\\log_2(1/\\varepsilon)$ (bits)")
    ax.set_ylabel("n needed (samples drawn)")
    ax.set_title("(d) samples needed per bit, one target")
    _style_legend(ax, dists, col, [], extra)
