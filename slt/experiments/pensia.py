"""Experiment 4: Pensia et al.'s 397,000-weight experiment, end to end (``slt experiment pensia``).

Pensia, Rajput, Nagle, Vishwakarma & Papailiopoulos (NeurIPS 2020), Experiment 1 (their
repository's subset-sum/run.sh and fc2_approx.out): a bias-free 784-500-10 MLP trained on
MNIST (397,000 weights, 97.19 %); every weight w approximated by a subset of its own
n = round(c log2(1/eps)) = 21 random numbers (c = 3, eps = 0.01), one Gurobi MIP per weight
(|w - sum| <= eps, MIP gap 0.01): 77,266 s (21.5 hours) on 36 cores; 8.34M random numbers,
3.73M kept, all weights within 0.01.

Here the same network is trained on 28x28 digits (``mnist``: scikit-learn's bundled digits
upsampled, by default; real MNIST with ``--data DIR``), rescaled to ||W_i||_op <= 1, and a
random network is pruned to it twice with the construction of THEORY §3:

(a) Pensia-style: eps = 0.01 per weight. The construction solves two problems per weight
    w_ab of layer 1 (s+ ~ w on relu(x), s- ~ -w on relu(-x)) and one (s+) per weight of layer 2,
    whose input is a ReLU output (THEORY §3), from the m products mu_{j,b} lambda_j of its
    input's block, split by the sign of lambda (so each problem's samples come from Pensia's
    own D = ½ δ0 + ½ Law(UV)). m = 2 x 21 = 42 would give each problem Pensia's 21 usable
    (nonzero) samples on average, but the count is Binomial(42, ½) and, measured (seed 0),
    31 of the 397,000 weights then get a problem no subset brings within 0.01 (proven
    infeasible); m = 64 (32 usable samples on average) brought every weight within eps, so
    it is the default (``m_pensia``; pass a config to run 42). Each problem is solved to 0.01
    (``prune(eps_layer=...)``: adaptive exact meet-in-the-middle; a problem no subset brings
    within 0.01 gets its proven optimum, status ``infeasible``), and the weights with both
    errors <= 0.01 are counted.
(b) Theorem 1's m (calibrated separable requirement, delta = 0.01) with the network eps from the target's test
    margins (``common``), capped at the configuration's m_cap (quick: a smaller hidden layer
    and m <= 32, labelled capped), and a sweep of small m with the same eps.

The random network is the theorem's (layer 2i-1 dense: n_{i-1} x n_{i-1} m coefficients,
of which only each unit's own input can be kept), so it holds more random parameters than
Pensia's count of 21 per weight. Its memory at the bound's m is estimated and checked
against the available memory before anything is drawn.
"""

from __future__ import annotations

import time

from ..progress import note, progress_bar
from ..studies.tables import Column
from .common import bound_widths, eps_from_margins, make_config, prune_once, pruning_study, theorem_layers
from .digits import LatticeEvaluator, train_classifier
from .report import finish

CONFIGS = {
    "full": {
        "hidden": 500,
        "epochs": 15,
        "lr": 0.01,
        "batch": 64,
        "m_pensia": 64,
        "weight_eps": 0.01,
        "m_sweep": [8, 16, 32],
        "m_cap": 320,
        "data": None,
    },
    "quick": {
        "hidden": 100,
        "epochs": 10,
        "lr": 0.01,
        "batch": 64,
        "m_pensia": 64,
        "weight_eps": 0.01,
        "m_sweep": [8, 16],
        "m_cap": 32,
        "data": None,
    },
}
#: Pensia et al., Experiment 1 (fc2_approx.out of their repository): the reference numbers
PENSIA = {
    "samples_per_weight": 21,
    "c": 3,
    "eps": 0.01,
    "solver": "Gurobi MIP per weight, MIP gap 0.01",
    "seconds": 77266.0,
    "cores": 36,
    "target_params": 397000,
    "random_params": 8337000,
    "kept_params": 3725871,
    "target_accuracy": 0.9719,
}
M_CAP_REASON = "quick configuration: the theorem's dense first random layer (784 x 784 m) at the bound's m"
CLASSES = 10
#: bytes per random coefficient while pruning: coefficients, pruned copy, mask
BYTES_PER_COEFF = 17
#: bytes per Subset-Sum sample: samples, masks and temporaries of the solver
BYTES_PER_SAMPLE = 26
RUN_COLUMNS = [
    Column("run", "input"),
    Column("m", "input", "samples per input unit", "per layer"),
    Column("coefficient_eps", "input", "", "per-weight accuracy per layer: 0.01 (Pensia-style), or eps''_i"),
    Column("target_params", "input", "parameters"),
    Column("subset_sum_problems", "input"),
    Column("fraction_within_eps", "measured", "fraction", "weights whose two Subset-Sum errors are <= their eps"),
    Column("kept_params", "measured", "parameters"),
    Column("random_params", "input", "parameters"),
    Column("target_accuracy", "measured", "fraction"),
    Column("pruned_accuracy", "measured", "fraction"),
    Column("output_error_max", "measured", "", "max over the test set of ||g(x) - f(x)||"),
    Column("error_bound", "proven", "", "network error bound of this draw for this target (analytic)"),
    Column("subset_sum_seconds", "measured", "s"),
    Column("seconds", "measured", "s", "draw, prune, evaluate"),
]


def prune_bytes(target, m) -> int:
    """Estimated peak memory of ``prune_once`` at ``m`` (int or per layer) for an MLP-like target."""
    ms = [m] * len(target) if isinstance(m, int) else list(m)
    coeffs = sum(
        L.n_in * L.n_in * mi * L.basis.hidden_basis().dim + L.n_in * mi * L.n_out * L.basis.dim
        for L, mi in zip(target, ms)
    )
    samples = max(2 * L.coeffs.size * mi for L, mi in zip(target, ms))
    return BYTES_PER_COEFF * coeffs + BYTES_PER_SAMPLE * samples


def load_data(cfg: dict, seed: int) -> dict:
    from .mnist import mnist_data, upsampled_digits

    return upsampled_digits(seed) if cfg["data"] is None else mnist_data(cfg["data"], seed)


def run(quick: bool = False, seed: int = 0, out=None, progress: bool = False, config: dict | None = None) -> dict:
    cfg = make_config(CONFIGS, quick, config)
    with progress_bar(3 + len(cfg["m_sweep"]), "slt experiment pensia", enabled=progress) as bar:
        return _run(cfg, quick, seed, out, bar)


def _run(cfg: dict, quick: bool, seed: int, out, bar) -> dict:
    from constructions import basis_from_specs, basis_norm, hidden_basis
    from groups import check_memory

    start = time.perf_counter()
    data = load_data(cfg, seed)
    x_tr, y_tr, x_te, y_te = data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    note(bar, f"pensia: {y_tr.size} training and {y_te.size} test images, 28x28 ({data['source']})")
    b = basis_from_specs({"family": "mlp"}, {"family": "mlp"})
    channels = [x_tr.shape[1], cfg["hidden"], CLASSES]
    bar.set_postfix_str("MLP: training")
    target, info = train_classifier([b, b], channels, x_tr, y_tr, cfg, seed, bar)
    ev = LatticeEvaluator(x_te, x_te)  # MLP: trivial group, the data's transformation is the identity
    target_logits = ev.logits(target)
    eps, _ = eps_from_margins(target_logits)
    hidden, norms = [hidden_basis(L.basis).dim for L in target], [basis_norm(L.basis) for L in target]
    bound = bound_widths(theorem_layers(target, hidden, norms), eps)
    if bound["m"] is not None:
        ms = [min(m, cfg["m_cap"]) for m in bound["m"]]
        check_memory(
            prune_bytes(target, ms),
            f"the random network at m = {ms} and its Subset-Sum problems (estimate)",
            hint=f"--quick caps m at {CONFIGS['quick']['m_cap']}",
        )
    bar.set_postfix_str(f"Pensia-style: m = {cfg['m_pensia']}, eps = {cfg['weight_eps']} per weight")
    pensia_row = prune_once(
        target, cfg["m_pensia"], seed, eps, ev, target_logits, y_te, bar, coefficient_eps=cfg["weight_eps"]
    )
    pensia_row["kind"] = "Pensia-style"
    pensia_done = time.perf_counter() - start  # data, training and the Pensia-style pruning
    note(
        bar,
        f"  Pensia-style: {pensia_row['weights_within_eps']:,} of {pensia_row['target_params']:,} weights "
        f"within {cfg['weight_eps']} ({pensia_row['subset_sum_problems']:,} Subset-Sum problems)",
    )
    bar.set_postfix_str("at the bound's m")
    study = pruning_study(
        f"MLP 784-{cfg['hidden']}-10",
        target,
        ev,
        y_te,
        hidden,
        norms,
        seed,
        cfg["m_sweep"],
        cfg["m_cap"],
        bar,
        cap_reason=M_CAP_REASON,
    )
    study["rows"].insert(0, pensia_row)
    study["test_set"] = "test images"
    runs = [run_summary("Pensia-style", pensia_row, study), run_summary("bound", study["bound_row"], study)]
    model = {"model": study["model"], "channels": channels, **info, "accuracy_test": study["target_accuracy"]}
    result = {
        "experiment": "pensia",
        "seed": seed,
        "quick": quick,
        "config": cfg,
        "data": {"train": int(y_tr.size), "test": int(y_te.size), "source": data["source"]},
        "models": [model],
        "reference": PENSIA,
        **runs[0],
        "bound_run": runs[1],
    }
    result["pensia_style_total_seconds"], result["total_seconds"] = pensia_done, time.perf_counter() - start
    pensia_note = (
        f"Pensia et al. (2020), Experiment 1: 397,000 weights, 21 random numbers each, one Gurobi MIP per "
        f"weight: {PENSIA['seconds']:,.0f} s (21.5 h) on {PENSIA['cores']} cores, "
        f"{PENSIA['random_params']:,} random / {PENSIA['kept_params']:,} kept (reference)."
    )
    return finish(
        "pensia",
        result,
        [study],
        out,
        "Pensia's MLP on 28x28 digits",
        extra_tables=[
            (
                [r for r in runs if r["m"] is not None],
                RUN_COLUMNS,
                "runs",
                "Pensia-style pruning (eps = 0.01 per weight) and pruning at Theorem 1's m. " + pensia_note,
            )
        ],
    )


def run_summary(name: str, row: dict | None, study: dict) -> dict:
    """The JSON keys of one run (Pensia-style, or at the bound's m, possibly capped); m None when not run."""
    if row is None:
        return {"run": name, "m": None}
    keys = (
        "target_params",
        "subset_sum_problems",
        "fraction_within_eps",
        "weights_within_eps",
        "kept_params",
        "random_params",
        "output_error_max",
        "error_bound",
        "subset_sum_seconds",
        "seconds",
        "subset_sum_status",
    )
    return {
        "run": row["kind"],
        "m": row["m_per_layer"],
        "coefficient_eps": row["coefficient_eps"],
        "target_accuracy": study["target_accuracy"],
        "pruned_accuracy": row["accuracy"],
        **{k: row[k] for k in keys},
    }
