"""The full construction at scale: build, prune and verify (level 1) a D4-steerable target."""

from __future__ import annotations

import time

import numpy as np

from .family import check_probability
from .progress import progress_bar

#: deepest target the benchmark builds (2 MAX_LAYERS random layers)
MAX_LAYERS = 32


def add_arguments(parser) -> None:
    parser.add_argument("--grid", type=int, default=28, help="torus side (default 28)")
    parser.add_argument("--fields", type=int, default=8, help="regular fields per layer (default 8)")
    parser.add_argument("--layers", type=int, default=3, help="target depth (default 3)")
    parser.add_argument("--eps", type=float, default=0.01, help="target accuracy (default 0.01)")
    parser.add_argument("--m", type=int, help="samples per input field (default: the calibrated bound)")
    parser.add_argument("--samples", type=int, default=256, help="unit-sphere inputs for the measured error")
    parser.add_argument("--seed", type=int, default=0)


def run(args) -> dict:
    from groups import check_int

    check_int("--grid", args.grid, 3)
    check_int("--fields", args.fields, 1)
    check_int("--layers", args.layers, 1, MAX_LAYERS)
    check_probability("--eps", args.eps)
    if args.m is not None:
        check_int("--m", args.m, 1)
    check_int("--samples", args.samples, 1)
    check_int("--seed", args.seed, 0)
    with progress_bar(4, "bench prune", unit="stage", enabled=not getattr(args, "json", False)) as bar:
        return _measure(args, bar)


def _measure(args, bar) -> dict:
    from bounds import network_width
    from constructions import basis_from_specs, overparameterize, prune, random_network, verify
    from slt.cmd_prune import layer_info

    t0 = time.perf_counter()
    bar.set_postfix_str("bases and target")
    spec = dict(family="steerable", grid=args.grid, kernel=3, group="D4", field="regular")
    bases = [basis_from_specs(spec, spec) for _ in range(args.layers)]
    channels = [args.fields] * (args.layers + 1)
    target_rng, net_rng, check_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(3))
    target = random_network(bases, channels, target_rng)
    t_target = time.perf_counter()
    if args.m is not None:
        ms, m_source = [args.m] * args.layers, "user"
    else:
        width = network_width(layer_info(bases, channels), args.eps, 0.01)
        ms, m_source = [r["m"] for r in width["layers"]], f"bound, {width['label']} {width['form']} requirement"
    bar.update()
    bar.set_postfix_str("random network")
    random_layers = overparameterize(target, ms, net_rng)
    t_random = time.perf_counter()
    bar.update()
    bar.set_postfix_str("Subset-Sum")
    result = prune(random_layers, target, eps=args.eps)
    t_prune = time.perf_counter()
    bar.update()
    bar.set_postfix_str("verification (level 1)")
    rep = verify(
        result,
        target,
        eps=args.eps,
        rng=check_rng,
        samples=args.samples,
        ascent_steps=10,
        ascent_starts=4,
        equivariance_elements=2,
        certify=False,
        honest_batch=1,
    )
    t_verify = time.perf_counter()
    bar.update()
    return {
        "setting": f"D4 regular, {args.layers} layers x {args.fields} fields, {args.grid}x{args.grid}, 3x3 kernels",
        "eps": args.eps,
        "m": ms,
        "m_source": m_source,
        "subset_sum_problems": result.problems,
        "random_params": result.random_params,
        "kept_params": result.kept_params,
        "seconds_target_and_bases": round(t_target - t0, 3),
        "seconds_random_network": round(t_random - t_target, 3),
        "seconds_prune": round(t_prune - t_random, 3),
        "seconds_subset_sum": round(result.subset_sum_seconds, 3),
        "seconds_verify_level1": round(t_verify - t_prune, 3),
        "seconds_total": round(t_verify - t0, 3),
        "error_bound": rep["error_bound"],
        "sup_error_sampled": rep["sup_error_sampled"],
        "sup_error_ascent": rep["sup_error_ascent"],
        "equivariance_error": rep["equivariance_error"],
        "collapse_check": rep["collapse_check"],
        "coefficient_error_max": rep["coefficient_error_max"],
        "equivariance_elements": rep["equivariance_elements"],
        "sampled_inputs": rep["inputs"],
        "ascent": f"{rep['ascent_steps']} steps from the {rep['ascent_starts']} worst inputs",
    }
