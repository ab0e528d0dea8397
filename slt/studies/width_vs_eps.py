"""Study 2: how wide must the random network be? Theorem, measurement, lower bound (THEORY §6).

For one small target network per family (MLP, CNN, C4- and D4-steerable with regular
fields, S_n on 2-tensors) and a grid of eps, three widths side by side, in the units of
Theorem 1 (width = max_i ñ_i = max_i n_{i-1} m_i intermediate fields):

* the theorem's width (``bounds.network_width``) with the calibrated separable requirement ("calibrated") and
  with C = 1 ("proven given C": the theorem's width is proportional to C);
* the measured width: for each seed s, the random 2l-layer network is drawn ONCE with
  M_MAX samples per input field (``constructions.overparameterize``), and the network
  with m samples is its prefix (the first m intermediate fields of each block), so the
  level-2 certificate (error <= eps for EVERY target with ||W_i||_op <= 1) is monotone in
  m and the smallest certified m*_s is well defined. It is found by an exact scan of the
  certified bound over all m (``bound_curve``; one walk per Subset-Sum instance gives its
  sup-error at every m for about twice the cost of a single bisection probe, and the
  answer is exact rather than a bisection's; ``smallest_certified_m`` is the bisection on
  ``constructions.certificate``, used by the tests to cross-check). The sup-errors are
  exact up to ``max_nonzero`` nonzero samples per instance and a rigorous upper bound
  beyond (``subsetsum.prefix_sup_errors``, Minkowski refinement), so m*_s can only
  be overestimated. The reported m is the smallest m at which >= 1 - delta of the seeds
  are certified (the ⌈(1 - delta) S⌉-th smallest m*_s);
* the lower bound of Theorem 2 (proven), converted to width units: the smallest width
  whose random network (same architecture: n_{i-1} |B_{X->X}| + n_i |B_i| parameters
  per unit of width) has as many parameters as the bound requires.

Tightness ratios (random parameters / lower bound) are printed for the theorem and for
the measurement. Sizes are tiny on purpose (bisection x seeds x eps must fit the time
budget); the table states them.
"""

from __future__ import annotations

import math

import numpy as np

from .tables import Column, Table

NAME = "width_vs_eps"
TITLE = "Width of the random network versus eps: theorem (calibrated), measured smallest certified width, lower bound"

#: levels of the Minkowski refinement of the sup-error bound beyond max_nonzero (prefix_sup_errors)
LEVELS = 4
LATTICE = {"grid": 3, "kernel": 3}
FAMILIES = {
    "MLP": {"spec": {"family": "mlp"}, "channels": [2, 2, 2], "eps": [0.3, 0.1, 0.03, 0.01, 0.003, 0.001]},
    "CNN": {"spec": {"family": "cnn", **LATTICE}, "channels": [1, 1], "eps": [0.4, 0.2, 0.1, 0.05, 0.02, 0.01]},
    "C4": {
        "spec": {"family": "steerable", **LATTICE, "group": "C4", "field": "regular"},
        "channels": [1, 1],
        "eps": [0.4, 0.2, 0.1, 0.05, 0.02, 0.01],
    },
    "D4": {
        "spec": {"family": "steerable", **LATTICE, "group": "D4", "field": "regular"},
        "channels": [1, 1],
        "eps": [0.4, 0.2, 0.1, 0.05, 0.02, 0.01],
    },
    "S_n 2->2": {
        "spec": {"family": "perm", "n": 4, "order": 2},
        "channels": [1, 1],
        "eps": [0.4, 0.2, 0.1, 0.05, 0.02, 0.01],
    },
}
#: samples per input field of the wide draw whose prefixes are the networks with m <= M_MAX
M_MAX = 128
PRESETS = {
    "tiny": {"families": ["MLP", "C4"], "seeds": 3, "delta": 0.34, "max_nonzero": 10, "eps_every": 5},
    "quick": {"families": list(FAMILIES), "seeds": 8, "delta": 0.125, "max_nonzero": 14, "eps_every": 2},
    "full": {"families": list(FAMILIES), "seeds": 40, "delta": 0.1, "max_nonzero": 16, "eps_every": 1},
}


def parameters(preset: str, seed: int) -> dict:
    from . import check_preset

    p = dict(PRESETS[check_preset(preset)])
    fams = {}
    for f in p.pop("families"):
        cfg = dict(FAMILIES[f])
        cfg["eps"] = cfg["eps"][:: p["eps_every"]]
        cfg["m_max"] = M_MAX
        fams[f] = cfg
    p.pop("eps_every")
    return {**p, "families": fams, "seed": int(seed)}


def cells(params: dict) -> list[dict]:
    return [
        {
            "family": f,
            "spec": cfg["spec"],
            "channels": cfg["channels"],
            "eps": cfg["eps"],
            "m_max": cfg["m_max"],
            "max_nonzero": params["max_nonzero"],
            "seed": params["seed"],
            "draw": s,
            "cost": len(cfg["eps"]) * (4 if f in ("C4", "D4") else 1),
        }
        for f, cfg in params["families"].items()
        for s in range(params["seeds"])
    ]


# ---------------------------------------------------------------- the construction at width m
def target_network(spec: dict, channels: list, seed: int):
    """The fixed target of a family: random coefficients, each layer rescaled to ||W_i||_op <= 1."""
    from constructions import basis_from_specs, random_network

    from .runner import rng_for

    bases = [basis_from_specs(spec, spec) for _ in channels[1:]]
    return random_network(bases, channels, rng_for(seed, NAME, "target", spec, channels))


def certified_bound(random_layers, target, m: int, max_nonzero: int) -> float:
    """``constructions.certificate`` of the prefix network with m samples: the network error
    bound valid for every target with ||W_i||_op <= 1 (used to cross-check the scan)."""
    from constructions import certificate, from_masks, prefix_network

    net = prefix_network(random_layers, target, m)
    empty = [np.zeros(layer.coeffs.shape, dtype=bool) for layer in net]  # masks do not enter the certificate
    cert = certificate(from_masks(net, target, empty), exact_max=max_nonzero, budget=float("inf"))
    return float(cert["certified_bound"])


def smallest_certified_m(bound_at, eps: float, lo: int, hi: int):
    """Bisection: smallest m in [lo, hi] with bound_at(m) <= eps (None if not even at hi);
    valid when bound_at is nonincreasing (prefix coupling)."""
    if bound_at(hi) > eps:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if bound_at(mid) <= eps:
            hi = mid
        else:
            lo = mid + 1
    return lo


def bound_curve(random_layers, target, max_nonzero: int):
    """Certified network bound of every prefix network m = 0..m_max at once.

    The samples of the Subset-Sum instances of the prefix network with m samples per input
    field are the first m samples of the wide draw's instances, so one walk per instance
    (``subsetsum.prefix_sup_errors``: exact sup-error up to ``max_nonzero`` nonzero
    samples, a rigorous upper bound beyond) gives every instance's sup-error at every m;
    the layer and network bounds are then those of ``constructions.certificate``
    (``constructions.layer_bound``: exact Perron norm of the sup-error envelope; ``network_bound``
    with ||W_i|| <= 1). Returns (bound (m_max+1,), exact (m_max+1,) bool)."""
    from constructions import from_masks, layer_bound, network_bound
    from subsetsum import prefix_sup_errors

    empty = [np.zeros(layer.coeffs.shape, dtype=bool) for layer in random_layers]
    res = from_masks(random_layers, target, empty)
    per_layer, exact = [], None
    for s, L in zip(res.samples, res.collapsed):
        M = s.shape[-1]
        sup, known, _ = prefix_sup_errors(s.reshape(-1, M), max_nonzero, levels=LEVELS)
        per_layer.append((L.basis, sup.reshape(s.shape[:-1] + (M + 1,))))
        ex = known.all(axis=0)
        exact = ex if exact is None else exact & ex
    M = per_layer[0][1].shape[-1] - 1
    bound = np.array(
        [
            network_bound([layer_bound(b, sup[..., m]) for b, sup in per_layer], np.ones(len(per_layer)))
            for m in range(M + 1)
        ]
    )
    return bound, exact


def compute_cell(cell: dict) -> dict:
    """One seed of one family: the draw at m_max, the certified bound of every prefix m, and
    for every eps the smallest certified m (exact scan of the monotone bound)."""
    from constructions import overparameterize

    from .runner import rng_for

    target = target_network(cell["spec"], cell["channels"], cell["seed"])
    rng = rng_for(cell["seed"], NAME, "draw", cell["family"], cell["draw"])
    random_layers = overparameterize(target, cell["m_max"], seed=rng)
    bound, exact = bound_curve(random_layers, target, cell["max_nonzero"])
    out = {}
    for eps in cell["eps"]:
        ok = np.flatnonzero(bound <= eps)
        out[repr(eps)] = int(ok[0]) if ok.size else None
    return {"m_star": out, "bound": [float(b) for b in bound], "exact": [bool(e) for e in exact]}


# ---------------------------------------------------------------- assembly
def layer_info(spec: dict, channels: list) -> list[dict]:
    """Layers for ``bounds.network_width`` from the actual bases."""
    from constructions import basis_from_specs, basis_norm, hidden_basis

    out = []
    for i in range(len(channels) - 1):
        b = basis_from_specs(spec, spec)
        out.append(
            {
                "n_in": channels[i],
                "n_out": channels[i + 1],
                "basis_dim": int(b.dim),
                "basis_norm": float(basis_norm(b)),
                "hidden_basis_dim": int(hidden_basis(b).dim),
            }
        )
    return out


def _theorem(layers, eps, delta, C=None):
    import bounds

    try:
        return bounds.network_width(layers, eps, delta, C=C, floors=False)
    except ValueError:
        return None  # no calibrated constant shipped yet


def _params_per_width(layer: dict) -> int:
    return layer["n_in"] * layer["hidden_basis_dim"] + layer["n_out"] * layer["basis_dim"]


def sizes_text(spec: dict, channels: list) -> str:
    extra = "".join(f", {k} {spec[k]}" for k in ("grid", "kernel", "group", "field", "n", "order") if k in spec)
    return f"channels {'-'.join(map(str, channels))}, depth {len(channels) - 1}{extra}"


COLUMNS = [
    Column("family", "input"),
    Column("sizes", "input", "", "target network: channels per boundary, depth, lattice"),
    Column("eps", "input", "", "sup error over the unit ball"),
    Column("delta", "input"),
    Column("seeds", "input", "", "random networks drawn"),
    Column("theorem_m_calibrated", "calibrated", "samples per input field", "Theorem 1, max over layers"),
    Column(
        "theorem_width_calibrated",
        "calibrated",
        "fields",
        "Theorem 1 width max_i ñ_i with the calibrated separable requirement",
    ),
    Column("theorem_width_C1", "proven given C", "fields", "Theorem 1 width with C = 1 (scales linearly with C)"),
    Column(
        "measured_m",
        "measured",
        "samples per input field",
        "smallest m certified in >= 1 - delta of the seeds (smallest certified m per seed, exact scan)",
    ),
    Column("measured_m_median", "measured", "samples per input field", "median over seeds of the smallest certified m"),
    Column("measured_width", "measured", "fields", "max_i n_{i-1} * measured_m"),
    Column("seeds_not_certified", "measured", "", f"seeds not certified even at m = {M_MAX}"),
    Column("lower_bound_params", "proven", "parameters", "Theorem 2, sum over layers"),
    Column(
        "lower_bound_width",
        "proven",
        "fields",
        "Theorem 2 converted to width units: lower bound / parameters per unit of width of the same architecture",
    ),
    Column("random_params_theorem", "calibrated", "parameters"),
    Column("random_params_measured", "measured", "parameters"),
    Column("tightness_theorem", "calibrated", "ratio", "theorem random parameters / lower bound"),
    Column("tightness_measured", "measured", "ratio", "measured random parameters / lower bound"),
]


def assemble(params: dict, results: list) -> list[Table]:
    cs = cells(params)
    delta = params["delta"]
    rows = []
    for fam, cfg in params["families"].items():
        layers = layer_info(cfg["spec"], cfg["channels"])
        per_width = [_params_per_width(L) for L in layers]
        res = [r for c, r in zip(cs, results) if c["family"] == fam]
        S = len(res)
        for eps in cfg["eps"]:
            ms = [r["m_star"][repr(eps)] for r in res]
            finite = sorted(m for m in ms if m is not None)
            k = math.ceil((1 - delta) * S)
            measured = finite[k - 1] if len(finite) >= k else None
            median = finite[math.ceil(0.5 * S) - 1] if len(finite) >= math.ceil(0.5 * S) else None
            cal = _theorem(layers, eps, delta)
            c1 = _theorem(layers, eps, delta, C=1.0)
            lower = [L["lower_bound_params"] for L in c1["layers"]]
            lb_width = max(lb / pw for lb, pw in zip(lower, per_width))
            lb_total = sum(lower)
            meas_params = (
                sum(L["n_in"] * measured * pw for L, pw in zip(layers, per_width)) if measured is not None else None
            )
            row = {
                "family": fam,
                "sizes": sizes_text(cfg["spec"], cfg["channels"]),
                "eps": eps,
                "delta": delta,
                "seeds": S,
                "theorem_width_C1": c1["width"],
                "measured_m": measured,
                "measured_m_median": median,
                "measured_width": max(L["n_in"] for L in layers) * measured if measured is not None else None,
                "seeds_not_certified": sum(m is None for m in ms),
                "lower_bound_params": lb_total,
                "lower_bound_width": lb_width,
                "random_params_measured": meas_params,
                "tightness_measured": meas_params / lb_total if meas_params is not None and lb_total else None,
            }
            if cal is not None:
                row.update(
                    {
                        "theorem_m_calibrated": max(L["m"] for L in cal["layers"]),
                        "theorem_width_calibrated": cal["width"],
                        "random_params_theorem": cal["total_random_params"],
                        "tightness_theorem": cal["total_random_params"] / lb_total if lb_total else None,
                    }
                )
            rows.append(row)
    notes = [
        f"Certificate: exact sup-error per Subset-Sum instance up to {params['max_nonzero']} nonzero samples, "
        f"a rigorous upper bound beyond ({LEVELS}-level Minkowski refinement), so the measured m can only be "
        f"overestimated; smallest certified m per seed by an exact scan of m in [1, {M_MAX}] (prefixes of one "
        f"draw); {params['seeds']} seeds, run seed {params['seed']}.",
        "Widths in fields of the widest intermediate layer (ñ = n_{i-1} m); a lattice field is |X| = grid^2 x |F| "
        "numbers, the same for all three curves.",
    ]
    if any(r.get("theorem_width_calibrated") is None for r in rows):
        notes.append("Empty calibrated cells: no calibration shipped (run `slt calibrate --install`).")
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
                "theorem_width_calibrated",
                "theorem_width_C1",
                "measured_width",
                "lower_bound_width",
                "tightness_theorem",
                "tightness_measured",
            ],
        )
    ]


# ---------------------------------------------------------------- figure
def figure(tables: dict, width: float):
    from .figures import clean_log_axes, color, family_panels, kind_style, legend, math_text, shared_legend

    t = tables[NAME]
    fams, fig, axes, spare = family_panels(t, width)
    one = width < 4
    for ax, fam in zip(axes, fams):
        rows = sorted(t.where(family=fam), key=lambda r: -r["eps"])
        x = [1 / r["eps"] for r in rows]
        series = [
            ("theorem_width_calibrated", "theorem", "calibrated", color(0)),
            ("theorem_width_C1", "theorem, C = 1", "proven given C", color(4)),
            ("measured_width", "smallest certified", "measured", color(1)),
            ("lower_bound_width", "lower bound (Thm 2)", "proven", color(2)),
        ]
        for col, text, kind, c in series:
            pts = [(xi, r[col]) for xi, r in zip(x, rows) if r.get(col)]
            if pts:
                ax.plot(*zip(*pts), **kind_style(kind, c), label=legend(text, kind))
        med = [
            (xi, r["measured_m_median"] * (r["measured_width"] / r["measured_m"]))
            for xi, r in zip(x, rows)
            if r.get("measured_m_median") and r.get("measured_m")
        ]
        if med:
            ax.plot(
                *zip(*med),
                linestyle="none",
                marker="_",
                markersize=6,
                color=color(1),
                label=legend("median seed", "measured"),
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        clean_log_axes(ax)
        ax.set_xlabel("$1/\\varepsilon$")
        ax.set_ylabel("width (fields)")
        last = rows[-1]
        ratio = []
        if last.get("tightness_theorem"):
            ratio.append(f"thm/LB {last['tightness_theorem']:.3g}")
        if last.get("tightness_measured"):
            ratio.append(f"meas/LB {last['tightness_measured']:.3g}")
        ax.set_title(math_text(fam), fontsize=7)
        if ratio:
            txt = ax.text(
                0.97,
                0.04,
                f"$\\varepsilon$={last['eps']:g}:\n" + "\n".join(ratio),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=5.5 if one else 6,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
            txt.set_in_layout(False)  # inside the axes: must not shrink them
    shared_legend(fig, axes, spare)
    return fig


def summary(tables: dict) -> dict:
    t = tables[NAME]
    parts, vs = [], []
    for fam in dict.fromkeys(r["family"] for r in t.rows):
        rows = [r for r in t.where(family=fam) if r.get("tightness_measured")]
        if rows:
            r = rows[-1]
            thm = f", theorem {r['tightness_theorem']:.3g}" if r.get("tightness_theorem") else ""
            parts.append(f"{fam} {r['tightness_measured']:.3g}{thm} (eps={r['eps']:g})")
            if r.get("theorem_width_calibrated"):
                vs.append(f"{fam} {r['measured_width'] / r['theorem_width_calibrated']:.2f}")
    grow = []
    for fam in dict.fromkeys(r["family"] for r in t.rows):
        rows = [r for r in t.where(family=fam) if r.get("measured_m")]
        if len(rows) >= 2:
            a, b = rows[0], rows[-1]
            bits = math.log2(a["eps"] / b["eps"])
            grow.append(f"{fam} {(b['measured_m'] - a['measured_m']) / bits:.1f}")
    text = (
        "The measured smallest certified m is dominated by a constant (every Subset-Sum instance must first "
        "reach the ends of [-1, 1]) and then grows with log(1/eps): samples per input field per bit of 1/eps, "
        "first to last eps: " + "; ".join(grow) + ". "
        "Tightness ratios (random parameters / lower bound) at the smallest certified eps, measured: "
        + "; ".join(parts)
        + "."
    )
    if vs:
        text += " Measured / theorem (calibrated) width: " + "; ".join(vs) + "."
    return {NAME: text}


def run(preset: str = "quick", seed: int = 0, out=None, **overrides):
    """Run the study in this process; returns ({table name: Table}, matplotlib Figure)."""
    import sys

    from .runner import study_run

    return study_run(sys.modules[__name__], preset, seed, out, **overrides)
