"""``slt prune``: build the strong lottery ticket and report on it (THEORY §3, §5); ``slt verify``
(``cmd_verify``) re-checks a file it saved."""

from __future__ import annotations

import json
import time

import numpy as np

from .executors import add_executor_argument, open_executor, parse_executor
from .family import add_family_args, check_probability, field_specs
from .jsonio import to_jsonable
from .paths import check_not_input
from .progress import advance_to, progress_bar

#: largest target coefficient accepted from a file: products through a few layers stay finite
COEFF_MAX = 1e100
#: failure probability of the bound's m when --delta is not given
DEFAULT_DELTA = 0.01


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "prune",
        help="prune a random 2l-layer G-equivariant network to approximate a target",
        description="Draw a target G-equivariant network (or load --target), draw the random network of "
        "Theorem 1, solve all Subset-Sum problems, and print the verification report: "
        "level 1 (this target, this draw: measured and analytic errors, equivariance), "
        "level 2 (certificate for all targets with ||W_i|| <= 1), level 3 (parameters).",
    )
    add_family_args(p, network=True)
    p.add_argument(
        "--channels", type=int, nargs="+", required=True, metavar="N", help="fields per layer boundary n0 n1 ... nl"
    )
    p.add_argument("--eps", type=float, required=True, help="target accuracy eps in (0, 1)")
    p.add_argument(
        "--m",
        type=int,
        nargs="+",
        metavar="M",
        help="random samples per input field (one value, or one per layer); default: from the "
        "bound (Theorem 1) with --delta and the calibrated separable requirement a, b, c "
        "(or the one-constant form with --C)",
    )
    p.add_argument("--delta", type=float, help="failure probability for the bound's m (default 0.01)")
    p.add_argument(
        "--C",
        type=float,
        help="constant C of the Subset-Sum lemma for the bound's m, in the paper's one-constant "
        "form (default: the calibrated separable requirement)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of target, random network and checks (default 0)")
    from subsetsum import METHODS  # the registry of Subset-Sum methods

    p.add_argument("--method", choices=list(METHODS), default="auto", help="Subset-Sum solver (default auto)")
    p.add_argument(
        "--optimal",
        action="store_true",
        help="solve every Subset-Sum problem to optimality instead of stopping at eps'",
    )
    p.add_argument(
        "--target",
        metavar="FILE.npz",
        help="target coefficients: arrays layer_1 ... layer_l of shape "
        "(n_{i-1}, n_i, |B_i|), e.g. from `slt import-weights`",
    )
    p.add_argument(
        "--save",
        metavar="OUT.npz",
        help="save target, random network, masks and pruned coefficients "
        "(written atomically; checked writable before the run)",
    )
    p.add_argument("--samples", type=int, default=256, help="random unit-sphere inputs for the measured error")
    p.add_argument(
        "--certify",
        choices=("auto", "yes", "no"),
        default="auto",
        help="level-2 certificate: auto skips it when too expensive (default auto)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    add_executor_argument(p)
    p.set_defaults(func=run_prune)


# ---------------------------------------------------------------------------- building blocks
def build_bases(specs):
    """The target's bases, one per layer (each built once: `constructions.basis` caches)."""
    from constructions import basis

    return [basis(a, b) for a, b in zip(specs, specs[1:])]


def check_channels(channels):
    from groups import check_int

    if len(channels) < 2:
        raise ValueError(f"--channels needs at least 2 values (n0 n1 ... nl), got {len(channels)}")
    return [check_int("--channels", c, 1) for c in channels]


def check_flags(args) -> list:
    """The flags of ``slt prune`` (named as typed), before anything is built; returns the channels."""
    from groups import check_int, check_real

    channels = check_channels(args.channels)
    check_probability("--eps", args.eps)
    if args.m:
        given = [flag for flag, value in (("--delta", args.delta), ("--C", args.C)) if value is not None]
        if given:
            verb, pronoun = ("sets", "it changes") if len(given) == 1 else ("set", "they change")
            raise ValueError(f"{' and '.join(given)} only {verb} the bound's m (Theorem 1); with --m {pronoun} nothing")
    if args.delta is None:
        args.delta = DEFAULT_DELTA
    check_probability("--delta", args.delta)
    if args.C is not None:
        check_real("--C", args.C, 0, None)
    check_int("--seed", args.seed, 0)
    check_int("--samples", args.samples, 1)
    return channels


def layer_info(bases, channels):
    """What `bounds.network_width` needs, from the actual computed bases."""
    from constructions import basis_norm, hidden_basis

    return [
        {
            "n_in": channels[i],
            "n_out": channels[i + 1],
            "basis_dim": b.dim,
            "basis_norm": basis_norm(b),
            "hidden_basis_dim": hidden_basis(b).dim,
        }
        for i, b in enumerate(bases)
    ]


def choose_m(args, info):
    """m per layer: --m, or Theorem 1 with the calibrated (or given) C (``info``: layer_info)."""
    import bounds

    if args.m:
        if len(args.m) not in (1, len(info)):
            raise ValueError(f"--m takes 1 or {len(info)} values (one per layer), got {len(args.m)}")
        ms = args.m * (len(info) if len(args.m) == 1 else 1)
        for v in ms:
            if v < 1:
                raise ValueError(f"--m must be >= 1, got {v}")
        return ms, "user (--m)"
    width = bounds.network_width(info, args.eps, args.delta, C=args.C, floors=False)
    if width["form"] == "separable":
        sep = width["separable"]
        src = (
            f"Theorem 1 with delta = {args.delta} and the {width['label']} separable requirement a = "
            f"{sep['a']:.4g}, b = {sep['b']:.4g}, c = {sep['c']:.4g}"
        )
    else:
        src = f"Theorem 1 with delta = {args.delta} and {width['C_source']} C = {width['C']:.4g}" + (
            f", c0 = {width['c0']:.4g}" if width["c0"] else ""
        )
    return [r["m"] for r in width["layers"]], src


def load_target(path, bases, channels, specs):
    """Target Layers from a target file (``constructions.saved.load_target``), checked against the
    family flags: field specs (when the file has them), channels and basis dimensions."""
    from constructions import Layer, normalize_spec
    from constructions import load_target as read_target

    tf = read_target(path)
    if len(tf.coeffs) != len(bases):
        raise ValueError(f"target file {path!r} has {len(tf.coeffs)} layers; --channels describes {len(bases)}")
    if tf.specs is not None:
        for i, (a, b) in enumerate(zip(tf.specs, specs)):
            if normalize_spec(a) != normalize_spec(b):
                raise ValueError(
                    f"target file {path!r} was made for field spec {a} at boundary {i}, but the family flags give {b}"
                )
    layers = []
    for i, (b, c) in enumerate(zip(bases, tf.coeffs)):
        want = (channels[i], channels[i + 1], b.dim)
        if c.shape != want:
            raise ValueError(f"target layer_{i + 1} has shape {c.shape}; this family and --channels need {want}")
        largest = float(np.abs(c).max(initial=0.0))
        if largest > COEFF_MAX:
            raise ValueError(
                f"target file {path!r}: layer_{i + 1} has a coefficient of size {largest:.3g}; a forward pass "
                f"overflows float64 above {COEFF_MAX:g} (rescale the target: the theorem assumes ||W_i||_op <= 1)"
            )
        layers.append(Layer(b, c))
    return layers


def lower_bounds(info, eps):
    from bounds import lower_bound, tightness_ratio

    low = [lower_bound(r["n_in"], r["n_out"], r["basis_dim"], eps) for r in info]
    return low, tightness_ratio


def big_network(random_layers) -> bool:
    return sum(layer.coeffs.size * layer.basis.shape[0] for layer in random_layers) > 2e7


def report_for(result, target, info, eps, rng, samples, certify, seconds_so_far=0.0):
    from constructions import verify

    big = big_network(result.pruned)
    rep = verify(
        result,
        target,
        eps=eps,
        rng=rng,
        samples=samples,
        ascent_steps=10 if big else 20,
        ascent_starts=4 if big else 8,
        equivariance_elements=2 if big else 8,
        certify=certify != "no",
        certificate_budget=float("inf") if certify == "yes" else 2e9,
        honest_batch=1 if big else 2,
    )
    low, ratio = lower_bounds(info, eps)
    rep["lower_bound_params"] = int(sum(low))
    rep["lower_bound_params_per_layer"] = low
    rep["tightness_ratio"] = ratio(rep["random_params"], rep["lower_bound_params"])
    return rep


# ---------------------------------------------------------------------------- commands
def run_prune(args) -> int:
    from constructions import check_verify_memory, check_writable, overparameterize, prune, random_network, seed_streams

    t0 = time.perf_counter()
    channels = check_flags(args)
    if args.save is not None:
        check_writable(args.save, "--save")
        check_not_input("--save", args.save, {"--target file": args.target})
    parse_executor(args.executor)
    specs = field_specs(args, len(channels))
    bases = build_bases(specs)
    check_verify_memory(bases, channels, [1] * len(bases), args.samples)  # the inputs, before m is known
    target_rng, net_rng, check_rng = seed_streams(args.seed)
    if args.target is not None:
        target, target_source = load_target(args.target, bases, channels, specs), f"file {args.target}"
    else:
        target = random_network(bases, channels, target_rng)
        target_source = "random (Uniform[-1, 1]; layers with ||W_i||_op > 1 rescaled to 1, smaller norms kept)"
    info = layer_info(bases, channels)
    ms, m_source = choose_m(args, info)
    check_verify_memory(bases, channels, ms, args.samples)
    random_layers = overparameterize(target, ms, net_rng)
    with (
        progress_bar(len(target), "Subset-Sum", unit="layer", enabled=not args.json) as bar,
        open_executor(args.executor) as executor,
    ):
        result = prune(
            random_layers,
            target,
            eps=None if args.optimal else args.eps,
            method=args.method,
            progress=advance_to(bar),
            executor=executor,
        )
    rep = report_for(result, target, info, args.eps, check_rng, args.samples, args.certify)
    rep.update(
        {
            "eps": args.eps,
            "seed": args.seed,
            "m": ms,
            "m_source": m_source,
            "target_source": target_source,
            "optimal": bool(args.optimal),
            "channels": channels,
            "specs": specs,
            "seconds": time.perf_counter() - t0,
        }
    )
    if args.save is not None:
        save(args, specs, channels, target, random_layers, result, rep)
        rep["saved"] = args.save
    print_report(rep, args.json)
    return 0


def save(args, specs, channels, target, random_layers, result, rep) -> None:
    """``--save``: the run as a pruned-network file (``constructions.saved``, format 2)."""
    from constructions import pruned_file, save_pruned

    record = pruned_file(
        specs,
        channels,
        target,
        random_layers,
        result,
        eps=args.eps,
        seed=args.seed,
        method=args.method,
        optimal=args.optimal,
        target_from_seed=not args.target,
        target_source=rep["target_source"],
        report=to_jsonable(rep),
        samples=args.samples,
        certify=args.certify,
    )
    save_pruned(args.save, record)


def print_report(rep: dict, as_json: bool) -> None:
    rep = to_jsonable(rep)
    if as_json:
        print(json.dumps(rep, indent=2))
        return
    eps = rep["eps"]
    yes = lambda b: "yes" if b else ("no" if b is not None else "n/a")  # noqa: E731
    print(
        f"target: {rep.get('target_source', rep.get('file', ''))}; channels {rep['channels']}; "
        f"m = {rep['m']} ({rep.get('m_source', 'from file')})"
    )
    print(
        f"Subset-Sum: {rep['subset_sum_problems']} problems in {rep['subset_sum_seconds']:.3f} s "
        f"({rep['method']}), status {rep['subset_sum_status']}"
    )
    pruning = (
        "the --optimal masks (each instance at its optimum)"
        if rep.get("optimal")
        else f"the eps-mode masks of --method {rep['method']} (each instance within eps'_i, not optimal)"
        if "optimal" in rep
        else f"the {rep['method']}"
    )
    print(f"Level 1 - this target, this draw: {pruning}")
    print(f"  max coefficient error        {rep['coefficient_error_max']:.3e}   (measured)")
    print(
        f"  layer error bounds           {', '.join(f'{v:.3e}' for v in rep['layer_error_bounds'])}"
        f"   (analytic, exact norm of the error envelope)"
    )
    print(
        f"  network error bound          {rep['error_bound']:.3e}   (analytic; "
        f"{'<=' if rep['error_bound'] <= eps else '>'} eps = {eps})"
    )
    print(
        f"  sampled sup error            {rep['sup_error_sampled']:.3e}   (measured on {rep['inputs']} unit-sphere "
        f"inputs); after gradient ascent {rep['sup_error_ascent']:.3e}"
    )
    print(
        f"  target norms ||W_i||         {', '.join(f'{v:.6f}' for v in rep['target_norms'])}"
        + (
            ""
            if rep["norm_assumption_holds"]
            else "   WARNING: ||W_i|| > 1, the theorem's assumption fails; the bound above uses the actual norms"
        )
    )
    print(
        f"  equivariance error           {rep['equivariance_error']:.2e}   (measured, honest 2l-layer forward, "
        f"{rep['equivariance_elements']} group elements)"
    )
    print(f"  collapse check               {rep['collapse_check']:.2e}   (honest forward vs collapsed evaluation)")
    print("Level 2 - all targets with ||W_i|| <= 1, this draw")
    if rep.get("certified_bound") is None:
        print(f"  certificate                  {rep.get('certificate_note')}")
    else:
        print(
            f"  certified bound              {rep['certified_bound']:.3e}   certified (<= eps): "
            f"{yes(rep.get('certified'))}  (proven; exact sup-errors for {rep.get('certificate_rows_exact')} "
            f"Subset-Sum instances, rigorous refined upper bounds for {rep.get('certificate_rows_upper_bound')})"
        )
        print(
            f"                               covers the --optimal pruning of this draw (each instance optimised "
            f"over its nonzero samples, the first {rep.get('certificate_prefix_nonzero')} for the "
            f"{rep.get('certificate_rows_prefix')} rows with more) for EVERY target with ||W_i|| <= 1"
        )
        if rep.get("certified_eps_mode") is not None:
            print(
                f"                               eps-mode pruning for EVERY target (the solver run again per target; "
                f"the saved masks are for this one): every instance within eps'_i, network error <= eps: "
                f"{yes(rep['certified_eps_mode'])} (all sup-errors <= eps'_i; exact, and ktree/auto through "
                f"their exact fallback, find such a subset)"
            )
    print("Level 3 - parameters")
    print(
        f"  random {rep['random_params']:,}   kept {rep['kept_params']:,}   lower bound (Theorem 2, proven) "
        f"{rep['lower_bound_params']:,}   tightness ratio random/lower "
        + (f"{rep['tightness_ratio']:.2f}" if rep.get("tightness_ratio") else "n/a")
    )
    if "saved" in rep:
        print(f"saved to {rep['saved']} (re-check with: slt verify {rep['saved']})")
    print(f"total {rep['seconds']:.2f} s")
