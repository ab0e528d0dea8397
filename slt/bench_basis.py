"""Orbital bases and the forward pass: build times and throughput."""

from __future__ import annotations

import time

import numpy as np

from .progress import progress_bar

#: most repetitions of a timing (the best is reported: more than this measures nothing new)
MAX_REPEAT = 100


def add_arguments(parser) -> None:
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best time is reported (default 3)")
    parser.add_argument("--batch", type=int, default=64, help="forward batch (default 64)")


def _best(fn, repeat):
    from constructions import clear_basis_cache

    best = float("inf")
    for _ in range(repeat):
        clear_basis_cache()  # time the construction, not the cache
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run(args) -> dict:
    from groups import check_int, check_memory

    check_int("--repeat", args.repeat, 1, MAX_REPEAT)
    batch = check_int("--batch", args.batch, 1)
    # inputs, and the activations of 3 layers of 16 D4 regular fields on 28 x 28 (float64 and float32)
    check_memory(8 * 6 * batch * 16 * 8 * 28 * 28, f"the forward batch (--batch {batch})", "use a smaller --batch")
    with progress_bar(6, "bench basis", unit="stage", enabled=not getattr(args, "json", False)) as bar:
        return _measure(args, bar)


def _measure(args, bar) -> dict:
    from constructions import Layer, basis_from_specs, basis_norm, forward, partition_basis

    def timed(label, fn):
        bar.set_postfix_str(label)
        out = _best(fn, args.repeat)
        bar.update()
        return out

    rng = np.random.default_rng(0)
    c4 = dict(family="steerable", grid=32, kernel=5, group="C4", field="regular")
    t_c4, b = timed("C4 basis", lambda: basis_from_specs(c4, c4))
    t_c4_norm, _ = timed("C4 basis + norm", lambda: basis_norm(basis_from_specs(c4, c4)))
    t_sn, p = timed("S_64 basis", lambda: partition_basis(64, 2, 2))
    t_sn_norm, _ = timed("S_64 basis + norm", lambda: basis_norm(partition_basis(64, 2, 2)))
    d4 = dict(family="steerable", grid=28, kernel=3, group="D4", field="regular")
    basis = basis_from_specs(d4, d4)
    layers = [Layer(basis, rng.uniform(-1, 1, (16, 16, basis.dim))) for _ in range(3)]
    x = rng.standard_normal((args.batch, 16, basis.shape[1]))
    t64, _ = timed("forward float64", lambda: forward(layers, x))
    layers32 = [Layer(basis, layer.coeffs.astype(np.float32)) for layer in layers]
    x32 = x.astype(np.float32)
    t32, _ = timed("forward float32", lambda: forward(layers32, x32))
    macs = 3 * args.batch * 28 * 28 * 9 * (16 * 8) ** 2
    return {
        "c4_regular_32x32_k5_basis_seconds": round(t_c4, 4),
        "c4_regular_32x32_k5_basis_plus_norm_seconds": round(t_c4_norm, 4),
        "c4_regular_32x32_k5_dim": b.dim,
        "sn64_2to2_basis_seconds": round(t_sn, 4),
        "sn64_2to2_basis_plus_norm_seconds": round(t_sn_norm, 4),
        "sn64_2to2_dim": p.dim,
        "d4_3layer_16fields_28x28_forward_float64_seconds": round(t64, 3),
        "d4_3layer_16fields_28x28_forward_float32_seconds": round(t32, 3),
        "forward_batch": args.batch,
        # flops of the direct (shifted-matmul) convolution; the engine takes the Fourier
        # route here (about 4x fewer flops), so this rate is an equivalent, not a BLAS rate
        "forward_direct_conv_gflop": round(2 * macs / 1e9, 1),
        "forward_direct_equivalent_gflops_float64": round(2 * macs / 1e9 / t64, 1),
    }
