"""Import and export of a D4-steerable network (issue 16 goal: under 2 s each for 28x28, 16 fields)."""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np


def add_arguments(parser) -> None:
    parser.add_argument("--grid", type=int, default=28, help="torus side (default 28)")
    parser.add_argument("--fields", type=int, default=16, help="regular D4 fields per layer (default 16)")
    parser.add_argument("--layers", type=int, default=3, help="target depth (default 3)")
    parser.add_argument("--m", type=int, default=8, help="samples per input field of the pruned network (default 8)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best time is reported (default 3)")


def _best(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _import(path, bases, channels):
    from constructions import orbital_projection, read_npz

    arrays = read_npz(path)
    return [orbital_projection(b, arrays[f"layer_{i + 1}"], channels[i], channels[i + 1]) for i, b in enumerate(bases)]


def _export(src, dst, fmt, form=None, dtype="float64"):
    """What ``slt export`` does: read the file, build its forms, write npz or ONNX."""
    from constructions import (
        atomic_write,
        export_arrays,
        form_specs,
        forms_of,
        load_network,
        network_weights,
        onnx_model,
        save_npz,
    )

    record = load_network(src)
    forms = forms_of(record)
    if fmt == "npz":
        return save_npz(dst, export_arrays(forms, record.specs, {}))
    form = form or ("pruned" if "pruned" in forms else "target")
    model = onnx_model(
        network_weights(forms[form], form_specs(record.specs, form)), np.dtype(dtype), split_input=form == "collapsed"
    )
    return atomic_write(dst, lambda fh: fh.write(model))


def run(args) -> dict:
    from constructions import (
        basis_from_specs,
        overparameterize,
        prune,
        pruned_file,
        random_network,
        save_pruned,
        save_target,
    )
    from groups import check_int

    from .bench_basis import MAX_REPEAT
    from .bench_prune import MAX_LAYERS

    check_int("--grid", args.grid, 3)
    for flag in ("fields", "m"):
        check_int(f"--{flag}", getattr(args, flag), 1)
    check_int("--layers", args.layers, 1, MAX_LAYERS)
    check_int("--repeat", args.repeat, 1, MAX_REPEAT)
    spec = dict(family="steerable", grid=args.grid, kernel=3, group="D4", field="regular")
    bases = [basis_from_specs(spec, spec)] * args.layers
    channels = [args.fields] * (args.layers + 1)
    # I/O does not depend on the norms: skip the rescaling to ||W_i||_op = 1 (784 SVDs of 128 x 128 blocks per layer)
    target = random_network(bases, channels, np.random.default_rng(0), normalize=False)
    random_layers = overparameterize(target, args.m, seed=1)
    result = prune(random_layers, target, eps=0.01)
    out = {
        "network": f"D4 regular, {args.grid}x{args.grid}, {args.layers} layers of {args.fields} fields; "
        f"pruned: m = {args.m}",
        "load_average": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = lambda name: os.path.join(tmp, name)  # noqa: E731
        save_target(path("target.npz"), [L.coeffs for L in target], [spec] * (args.layers + 1))
        save_pruned(
            path("pruned.npz"),
            pruned_file(
                [spec] * (args.layers + 1),
                channels,
                target,
                random_layers,
                result,
                eps=0.01,
                seed=1,
                method="exact",
                optimal=False,
                target_from_seed=True,
                target_source="bench",
                report={},
            ),
        )
        t, _ = _best(lambda: _export(path("target.npz"), path("dense.npz"), "npz"), args.repeat)
        out["target_export_npz_seconds"] = round(t, 3)
        t, imported = _best(lambda: _import(path("dense.npz"), bases, channels), args.repeat)
        assert all(np.array_equal(c, L.coeffs) and r == 0 for (c, r), L in zip(imported, target))
        out["target_import_seconds"] = round(t, 3)
        t, _ = _best(lambda: _export(path("pruned.npz"), path("pruned_dense.npz"), "npz"), args.repeat)
        out[f"pruned_m{args.m}_export_npz_seconds"] = round(t, 3)
        out[f"pruned_m{args.m}_dense_mb"] = round(os.path.getsize(path("pruned_dense.npz")) / 1e6, 1)
        try:
            pruned = f"pruned_m{args.m}"
            for name, form, dtype in (
                ("target", None, "float64"),
                ("target", None, "float32"),
                (pruned, None, "float32"),
                (pruned, "collapsed", "float64"),
            ):
                src = path("target.npz" if name == "target" else "pruned.npz")
                label = f"{name}_export_onnx_{form + '_' if form else ''}{dtype}"
                t, _ = _best(lambda s=src, f=form, d=dtype: _export(s, path("m.onnx"), "onnx", f, d), args.repeat)
                out[f"{label}_seconds"] = round(t, 3)
                out[f"{label}_mb"] = round(os.path.getsize(path("m.onnx")) / 1e6, 1)
        except ValueError as exc:  # the onnx extra is not installed
            out["onnx"] = str(exc)
    return out
