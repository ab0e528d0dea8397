"""``slt export FILE.npz --out OUT``: a pruned network (or a target) as dense weights in
PyTorch layouts (``--format npz``) or as an ONNX model (``--format onnx``).

FILE is a file of ``slt prune --save`` (forms: the honest 2l-layer ``pruned`` network,
its ``collapsed`` l-layer form, its ``target``) or a target file of ``slt import-weights``
(form ``target``). Layouts: Conv2d weights (C_out |F_out|, C_in |F_in|, k, k) with
circular padding for lattice layers, Linear (out, in) matrices on flattened features
otherwise; ReLU after every layer but the last (``constructions.weights``,
``constructions.export``). The npz holds every form of the file; an ONNX model holds one
(``--form``) and is run with onnxruntime against the engine when it is installed.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from .jsonio import to_jsonable
from .paths import check_not_input


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a pruned network or a target as dense weights (npz) or ONNX",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("file", metavar="FILE.npz", help="a file of `slt prune --save` or `slt import-weights`")
    p.add_argument("--out", required=True, metavar="OUT", help="output file (written atomically)")
    p.add_argument("--format", choices=("npz", "onnx"), default="npz", help="output format (default npz)")
    p.add_argument(
        "--form",
        choices=("pruned", "collapsed", "target"),
        default=None,
        help="ONNX: which network (default: pruned for a pruned-network file, target for a target file)",
    )
    p.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="ONNX weights and inputs (default float64; float32 writes Conv nodes)",
    )
    p.add_argument("--no-check", action="store_true", help="ONNX: do not run the model against the engine")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_export)


#: largest relative difference ONNX Runtime may show against the engine, per dtype (nan fails)
CHECK_TOLERANCE = {"float64": 1e-9, "float32": 1e-3}
#: flags that only the ONNX format uses, with their defaults
ONNX_ONLY = {"--form": ("form", None), "--dtype": ("dtype", "float64"), "--no-check": ("no_check", False)}


def check_format_flags(args) -> None:
    """Refuse flags the chosen --format ignores, and an --out suffix naming the other format."""
    if args.format == "npz":
        given = [flag for flag, (key, default) in ONNX_ONLY.items() if getattr(args, key) != default]
        if given:
            raise ValueError(f"{', '.join(given)}: ONNX only (the npz holds every form in float64); add --format onnx")
    suffix = str(args.out).lower().rsplit(".", 1)[-1] if "." in str(args.out) else ""
    if suffix in ("npz", "onnx") and suffix != args.format:
        raise ValueError(f"--out {args.out!r} ends in .{suffix} but --format is {args.format}: pass --format {suffix}")


def run_export(args) -> int:
    from constructions import (
        PrunedFile,
        atomic_write,
        check_writable,
        export_arrays,
        form_specs,
        forms_of,
        load_network,
        network_weights,
        save_npz,
    )

    t0 = time.perf_counter()
    check_writable(args.out, "--out")
    check_not_input("--out", args.out, {"input file": args.file})
    check_format_flags(args)
    record = load_network(args.file)
    forms = forms_of(record)
    form = args.form or ("pruned" if "pruned" in forms else "target")
    if form not in forms:
        raise ValueError(f"--form {form}: {args.file!r} is a target file; it holds only the form 'target'")
    meta = _provenance(record, args.file)
    out = {"file": args.file, "out": args.out, "format": args.format, **meta}
    if args.format == "npz":
        arrays = export_arrays(forms, record.specs, meta)
        save_npz(args.out, arrays)
        out["layers"] = _summary(arrays, forms)
    else:
        from constructions import onnx_model, require_onnx

        require_onnx()
        weights = network_weights(forms[form], form_specs(record.specs, form))
        model = onnx_model(
            weights, np.dtype(args.dtype), split_input=form == "collapsed", metadata={**meta, "form": form}
        )
        atomic_write(args.out, lambda fh: fh.write(model))
        out.update(
            {
                "form": form,
                "dtype": args.dtype,
                "bytes": len(model),
                "layers": [{"kind": w["kind"], "shape": list(w["weight"].shape)} for w in weights],
            }
        )
        out["check"] = "skipped (--no-check)" if args.no_check else _check_onnx(model, forms, form, args.dtype)
    out["pruned_network_file"] = isinstance(record, PrunedFile)
    out["seconds"] = time.perf_counter() - t0
    print_export(out, args.json)
    check = out.get("check")
    if isinstance(check, dict) and not check["max_relative_difference"] <= CHECK_TOLERANCE[args.dtype]:
        print(
            f"slt export: the ONNX model disagrees with the engine (max relative difference "
            f"{check['max_relative_difference']:.3g} > {CHECK_TOLERANCE[args.dtype]:g} for {args.dtype}); "
            f"{args.out} was written but is not trustworthy",
            file=sys.stderr,
        )
        return 1
    return 0


def _provenance(record, path) -> dict:
    from constructions import PrunedFile

    if isinstance(record, PrunedFile):
        rep = record.report
        return {
            "source": str(path),
            "specs": record.specs,
            "channels": record.channels,
            "eps": record.eps,
            "m": record.m,
            "seed": record.seed,
            "error_bound": rep.get("error_bound"),
            "certified_bound": rep.get("certified_bound"),
        }
    return {"source": str(path), "specs": record.specs, "channels": record.channels}


def _summary(arrays, forms) -> list:
    rows = []
    j = 1
    while f"layer_{j}" in arrays:
        row = {"name": f"layer_{j}", "shape": list(arrays[f"layer_{j}"].shape)}
        if "kept" in arrays:
            row.update(
                {
                    "kept": int(arrays["kept"][j - 1]),
                    "total": int(arrays["total"][j - 1]),
                    "kept_weights": int(arrays["kept_weights"][j - 1]),
                    "total_weights": int(arrays["total_weights"][j - 1]),
                }
            )
        rows.append(row)
        j += 1
    return rows


def _check_onnx(model: bytes, forms, form, dtype) -> dict | str:
    """Run the ONNX model on 4 random inputs and compare with the engine's forward pass."""
    try:
        import onnxruntime as ort
    except ImportError:
        return "not run: onnxruntime is not installed (pip install 'slt-equivariant[onnx]')"
    from constructions import forward, split_input

    layers = forms[form]
    first = forms["target"][0]
    x = np.random.default_rng(0).standard_normal((4, first.n_in, first.basis.shape[1]))
    engine = forward(layers, split_input(x) if form == "collapsed" else x)
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape[1:]
    y = session.run(None, {"x": x.reshape(4, *shape).astype(dtype)})[0]
    diff = float(np.abs(y.reshape(engine.shape) - engine).max() / max(np.abs(engine).max(), 1e-300))
    return {"inputs": 4, "max_relative_difference": diff, "runtime": f"onnxruntime {ort.__version__}"}


def print_export(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(to_jsonable(out), indent=2))
        return
    what = "pruned network" if out["pruned_network_file"] else "target network"
    print(f"{what} from {out['file']}: channels {out['channels']}")
    if out["format"] == "onnx":
        print(
            f"ONNX model ({out['form']} form, {out['dtype']}, opset 17): {len(out['layers'])} layers, "
            f"{out['bytes']:,} bytes"
        )
        for j, layer in enumerate(out["layers"], start=1):
            print(f"  {j:>3}  {layer['kind']:<6}  weight {tuple(layer['shape'])}")
        check = out["check"]
        print(
            "checked against the engine: "
            + (
                check
                if isinstance(check, str)
                else f"max relative difference {check['max_relative_difference']:.2e} "
                f"on {check['inputs']} random inputs ({check['runtime']})"
            )
        )
    else:
        for row in out["layers"]:
            kept = (
                (
                    f"   kept {row['kept']:,} / {row['total']:,} coefficients, {row['kept_weights']:,} / "
                    f"{row['total_weights']:,} weights"
                )
                if "kept" in row
                else ""
            )
            print(f"  {row['name']:<9} {str(tuple(row['shape'])):<26}{kept}")
    if out.get("error_bound") is not None:
        print(
            f"network error bound of this pruning: {out['error_bound']:.3e} (analytic, from the saved report; "
            f"eps = {out['eps']})"
        )
    print(f"written to {out['out']} in {out['seconds']:.2f} s")
