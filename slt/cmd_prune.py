"""``slt prune`` and ``slt verify``: build the strong lottery ticket and check it (THEORY §3, §5)."""
from __future__ import annotations

import json
import time

import numpy as np

from .family import add_family_args, field_specs
from .jsonio import to_jsonable
from .progress import advance_to, progress_bar

FORMAT_VERSION = 1


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "prune", help="prune a random 2l-layer G-equivariant network to approximate a target",
        description="Draw a target G-equivariant network (or load --target), draw the random network of "
                    "Theorem 1, solve all Subset-Sum problems, and print the verification report: "
                    "level 1 (this target, this draw: measured and analytic errors, equivariance), "
                    "level 2 (certificate for all targets with ||W_i|| <= 1), level 3 (parameters).")
    add_family_args(p, network=True)
    p.add_argument("--channels", type=int, nargs="+", required=True, metavar="N",
                   help="fields per layer boundary n0 n1 ... nl")
    p.add_argument("--eps", type=float, required=True, help="target accuracy eps in (0, 1)")
    p.add_argument("--m", type=int, nargs="+", metavar="M",
                   help="random samples per input field (one value, or one per layer); default: from the "
                        "bound (Theorem 1) with --delta and the calibrated C (or --C)")
    p.add_argument("--delta", type=float, default=0.01, help="failure probability for the bound's m (default 0.01)")
    p.add_argument("--C", type=float, help="constant C of the Subset-Sum lemma for the bound's m (default: calibrated)")
    p.add_argument("--seed", type=int, default=0, help="seed of target, random network and checks (default 0)")
    p.add_argument("--method", choices=("exact", "cpsat", "milp"), default="exact", help="Subset-Sum solver")
    p.add_argument("--optimal", action="store_true",
                   help="solve every Subset-Sum problem to optimality instead of stopping at eps'")
    p.add_argument("--target", metavar="FILE.npz", help="target coefficients: arrays layer_1 ... layer_l of shape "
                                                         "(n_{i-1}, n_i, |B_i|)")
    p.add_argument("--save", metavar="OUT.npz", help="save target, random network, masks and pruned coefficients")
    p.add_argument("--samples", type=int, default=256, help="random unit-sphere inputs for the measured error")
    p.add_argument("--certify", choices=("auto", "yes", "no"), default="auto",
                   help="level-2 certificate: auto skips it when too expensive (default auto)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_prune)

    v = subparsers.add_parser("verify", help="re-check a file written by `slt prune --save` from scratch",
                              description="Rebuild the bases from the saved field specs, check that the pruned "
                                          "coefficients are the random ones times 0/1 masks, and recompute the "
                                          "whole verification report.")
    v.add_argument("file", metavar="FILE.npz")
    v.add_argument("--samples", type=int, default=256, help="random unit-sphere inputs for the measured error")
    v.add_argument("--certify", choices=("auto", "yes", "no"), default="auto")
    v.add_argument("--json", action="store_true", help="print JSON")
    v.set_defaults(func=run_verify)


# ---------------------------------------------------------------------------- building blocks
def build_bases(specs):
    from constructions import basis_from_specs
    return [basis_from_specs(a, b) for a, b in zip(specs, specs[1:])]


def check_channels(channels):
    if len(channels) < 2:
        raise ValueError(f"--channels needs at least 2 values (n0 n1 ... nl), got {len(channels)}")
    for c in channels:
        if c < 1:
            raise ValueError(f"--channels must be integers >= 1, got {c}")
    return list(channels)


def layer_info(bases, channels):
    """What `bounds.network_width` needs, from the actual computed bases."""
    from constructions import basis_norm, hidden_basis
    return [{"n_in": channels[i], "n_out": channels[i + 1], "basis_dim": b.dim, "basis_norm": basis_norm(b),
             "hidden_basis_dim": hidden_basis(b).dim} for i, b in enumerate(bases)]


def choose_m(args, bases, channels):
    """m per layer: --m, or Theorem 1 with the calibrated (or given) C."""
    import bounds
    if args.m:
        if len(args.m) not in (1, len(bases)):
            raise ValueError(f"--m takes 1 or {len(bases)} values (one per layer), got {len(args.m)}")
        ms = args.m * (len(bases) if len(args.m) == 1 else 1)
        for v in ms:
            if v < 1:
                raise ValueError(f"--m must be >= 1, got {v}")
        return ms, "user (--m)"
    width = bounds.network_width(layer_info(bases, channels), args.eps, args.delta, C=args.C)
    src = f"Theorem 1 with delta = {args.delta} and {width['C_source']} C = {width['C']:.4g}" + \
          (f", c0 = {width['c0']:.4g}" if width["c0"] else "")
    return [r["m"] for r in width["layers"]], src


def load_target(path, bases, channels):
    from constructions import Layer
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read target file {path!r}: {exc}") from None
    layers = []
    for i, b in enumerate(bases):
        key = f"layer_{i + 1}"
        if key not in data:
            raise ValueError(f"target file {path!r} lacks array {key!r} (needs layer_1 ... layer_{len(bases)})")
        c = np.asarray(data[key], dtype=np.float64)
        want = (channels[i], channels[i + 1], b.dim)
        if c.shape != want:
            raise ValueError(f"target {key} has shape {c.shape}; this family and --channels need {want}")
        layers.append(Layer(b, c))  # validates finiteness
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
    rep = verify(result, target, eps=eps, rng=rng, samples=samples, ascent_steps=10 if big else 20,
                 ascent_starts=4 if big else 8, equivariance_elements=2 if big else 8,
                 certify=certify != "no", certificate_budget=float("inf") if certify == "yes" else 2e9,
                 honest_batch=1 if big else 2)
    low, ratio = lower_bounds(info, eps)
    rep["lower_bound_params"] = int(sum(low))
    rep["lower_bound_params_per_layer"] = low
    rep["tightness_ratio"] = ratio(rep["random_params"], rep["lower_bound_params"])
    return rep


# ---------------------------------------------------------------------------- commands
def run_prune(args) -> int:
    from constructions import overparameterize, prune, random_network

    t0 = time.perf_counter()
    channels = check_channels(args.channels)
    if not 0 < args.eps < 1:
        raise ValueError(f"--eps must be in (0, 1), got {args.eps}")
    if args.samples < 1:
        raise ValueError(f"--samples must be >= 1, got {args.samples}")
    specs = field_specs(args, len(channels))
    bases = build_bases(specs)
    target_rng, net_rng, check_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(3))
    if args.target:
        target, target_source = load_target(args.target, bases, channels), f"file {args.target}"
    else:
        target, target_source = random_network(bases, channels, target_rng), "random, rescaled to ||W_i||_op = 1"
    info = layer_info(bases, channels)
    ms, m_source = choose_m(args, bases, channels)
    random_layers = overparameterize(target, ms, net_rng)
    with progress_bar(len(target), "Subset-Sum", unit="layer", enabled=not args.json) as bar:
        result = prune(random_layers, target, eps=None if args.optimal else args.eps, method=args.method,
                       progress=advance_to(bar))
    rep = report_for(result, target, info, args.eps, check_rng, args.samples, args.certify)
    rep.update({"eps": args.eps, "seed": args.seed, "m": ms, "m_source": m_source, "target_source": target_source,
                "channels": channels, "specs": specs, "seconds": time.perf_counter() - t0})
    if args.save:
        save(args.save, specs, channels, target, random_layers, result, rep)
        rep["saved"] = args.save
    print_report(rep, args.json)
    return 0


def run_verify(args) -> int:
    from constructions import Layer, from_masks

    t0 = time.perf_counter()
    try:
        data = np.load(args.file)
        meta = json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"cannot read {args.file!r} as a file written by `slt prune --save`: {exc}") from None
    specs, channels, eps = meta["specs"], meta["channels"], meta["eps"]
    bases = build_bases(specs)
    from constructions import hidden_basis
    depth = len(bases)
    target = [Layer(b, data[f"target_{i + 1}"]) for i, b in enumerate(bases)]
    random_layers, masks = [], []
    for i, b in enumerate(bases):
        for j, basis in ((2 * i + 1, hidden_basis(b)), (2 * i + 2, b)):
            rc, mk, pr = data[f"random_{j}"], data[f"mask_{j}"], data[f"pruned_{j}"]
            if not np.array_equal(pr, rc * mk):
                raise ValueError(f"pruned_{j} is not random_{j} times mask_{j}: the file does not describe a pruning")
            random_layers.append(Layer(basis, rc))
            masks.append(mk)
    if len(random_layers) != 2 * depth:
        raise ValueError("corrupt file: wrong number of random layers")
    result = from_masks(random_layers, target, masks, method=f"masks from {args.file}")
    rng = np.random.default_rng(np.random.SeedSequence(meta["seed"]).spawn(3)[2])
    rep = report_for(result, target, layer_info(bases, channels), eps, rng, args.samples, args.certify)
    rep.update({"eps": eps, "seed": meta["seed"], "m": result.m, "channels": channels, "specs": specs,
                "file": args.file, "seconds": time.perf_counter() - t0})
    saved = meta.get("report", {})
    for key in ("coefficient_error_max", "error_bound", "certified_bound"):
        if saved.get(key) is not None and rep.get(key) is not None:
            rep[f"{key}_matches_saved"] = bool(np.isclose(saved[key], rep[key], rtol=1e-9, atol=1e-15))
    print_report(rep, args.json)
    return 0


def save(path, specs, channels, target, random_layers, result, rep) -> None:
    arrays = {"meta": np.array(json.dumps({"format": FORMAT_VERSION, "specs": specs, "channels": channels,
                                           "eps": rep["eps"], "seed": rep["seed"], "m": rep["m"],
                                           "report": to_jsonable(rep)}))}
    for i, layer in enumerate(target):
        arrays[f"target_{i + 1}"] = layer.coeffs
    for j, (rl, mk, pl) in enumerate(zip(random_layers, result.masks, result.pruned), start=1):
        arrays[f"random_{j}"], arrays[f"mask_{j}"], arrays[f"pruned_{j}"] = rl.coeffs, mk, pl.coeffs
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def print_report(rep: dict, as_json: bool) -> None:
    rep = to_jsonable(rep)
    if as_json:
        print(json.dumps(rep, indent=2))
        return
    eps = rep["eps"]
    yes = lambda b: "yes" if b else ("no" if b is not None else "n/a")  # noqa: E731
    print(f"target: {rep.get('target_source', rep.get('file', ''))}; channels {rep['channels']}; "
          f"m = {rep['m']} ({rep.get('m_source', 'from file')})")
    print(f"Subset-Sum: {rep['subset_sum_problems']} problems in {rep['subset_sum_seconds']:.3f} s "
          f"({rep['method']}), status {rep['subset_sum_status']}")
    print("Level 1 - this target, this draw")
    print(f"  max coefficient error        {rep['coefficient_error_max']:.3e}   (measured)")
    print(f"  layer error bounds           {', '.join(f'{v:.3e}' for v in rep['layer_error_bounds'])}"
          f"   (analytic, exact norm of the error envelope)")
    print(f"  network error bound          {rep['error_bound']:.3e}   (analytic; "
          f"{'<=' if rep['error_bound'] <= eps else '>'} eps = {eps})")
    print(f"  sampled sup error            {rep['sup_error_sampled']:.3e}   (measured on {rep['inputs']} unit-sphere "
          f"inputs); after gradient ascent {rep['sup_error_ascent']:.3e}")
    print(f"  target norms ||W_i||         {', '.join(f'{v:.6f}' for v in rep['target_norms'])}"
          + ("" if rep["norm_assumption_holds"] else "   WARNING: ||W_i|| > 1, the theorem's assumption fails; "
                                                     "the bound above uses the actual norms"))
    print(f"  equivariance error           {rep['equivariance_error']:.2e}   (measured, honest 2l-layer forward, "
          f"{rep['equivariance_elements']} group elements)")
    print(f"  collapse check               {rep['collapse_check']:.2e}   (honest forward vs collapsed evaluation)")
    print("Level 2 - all targets with ||W_i|| <= 1, this draw")
    if rep.get("certified_bound") is None:
        print(f"  certificate                  {rep.get('certificate_note')}")
    else:
        print(f"  certified bound              {rep['certified_bound']:.3e}   certified (<= eps): "
              f"{yes(rep.get('certified'))}  (proven; exact sup-errors for {rep.get('certificate_rows_exact')} "
              f"Subset-Sum instances, rigorous refined upper bounds for {rep.get('certificate_rows_upper_bound')})")
        print("                               the optimal-error pruning of this draw (--optimal) is within this "
              "bound for EVERY target with ||W_i|| <= 1")
    print("Level 3 - parameters")
    print(f"  random {rep['random_params']:,}   kept {rep['kept_params']:,}   lower bound (Theorem 2, proven) "
          f"{rep['lower_bound_params']:,}   tightness ratio random/lower "
          + (f"{rep['tightness_ratio']:.2f}" if rep.get("tightness_ratio") else "n/a"))
    if "saved" in rep:
        print(f"saved to {rep['saved']} (re-check with: slt verify {rep['saved']})")
    print(f"total {rep['seconds']:.2f} s")
