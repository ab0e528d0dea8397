"""ONNX models of exported networks (optional extra ``onnx``: ``pip install 'slt-equivariant[onnx]'``).

The graph follows the layouts of :mod:`constructions.weights`: input ``x`` of shape
(N, *in_shape) of the first layer ((N, C, m, m) on a lattice, (N, D) otherwise), one
node group per layer, ReLU between layers, output ``y`` of shape (N, *out_shape) of the
last layer. Circular padding is written with Slice + Concat (portable to every runtime).
Convolutions are ``Conv`` nodes in float32; in float64 they are written as im2col
(Concat of the shifted windows, one MatMul), because ONNX Runtime has no float64 Conv
kernel. ``linear`` layers are a MatMul with the transposed weight on the flattened
features. With ``split_input`` (the collapsed form) the graph starts with
concat(relu(x), relu(-x)) along the channel axis.
"""

from __future__ import annotations

import json

import numpy as np

OPSET = 17
IR_VERSION = 8
#: protobuf cannot serialise a model of 2 GiB or more
MAX_BYTES = 2_000_000_000


def check_float32(weight: np.ndarray, name: str) -> None:
    """Raise ValueError unless every weight survives the cast to float32: finite, at most
    the float32 maximum (3.4e38) in magnitude, and nonzero ones not flushed to 0 (>= 1.4e-45)."""
    w = np.asarray(weight)
    with np.errstate(over="ignore", under="ignore"):
        w32 = w.astype(np.float32)
    bad = ~np.isfinite(w32) | ((w32 == 0) & (w != 0))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        info = np.finfo(np.float32)
        raise ValueError(
            f"{name}: weight{list(where)} = {w[where]:.3e} is outside the float32 range "
            f"({float(info.smallest_subnormal):.1e} <= |w| <= {float(info.max):.2e}, or 0; "
            f"{int(bad.sum())} such weights); export with dtype float64"
        )


def require_onnx():
    try:
        import onnx
    except ImportError:
        raise ValueError(
            "--format onnx needs the optional extra: pip install 'slt-equivariant[onnx]' "
            "(onnx, and onnxruntime to run the model)"
        ) from None
    return onnx


def _new_graph(dtype):
    return {"nodes": [], "inits": [], "count": 0, "dtype": np.dtype(dtype)}


def _name(g, base):
    g["count"] += 1
    return f"{base}_{g['count']}"


def _const(g, value, base="c"):
    from onnx import numpy_helper

    name = _name(g, base)
    g["inits"].append(numpy_helper.from_array(np.asarray(value), name))
    return name


def _node(g, op, inputs, **attrs):
    from onnx import helper

    out = _name(g, op.lower())
    g["nodes"].append(helper.make_node(op, inputs, [out], **attrs))
    return out


def _reshape(g, h, shape):
    return _node(g, "Reshape", [h, _const(g, np.array((-1,) + tuple(shape), dtype=np.int64), "shape")])


def _slice(g, h, start, end, axis):
    ints = lambda v: _const(g, np.array([v], dtype=np.int64), "idx")  # noqa: E731
    return _node(g, "Slice", [h, ints(start), ints(end), ints(axis)])


def _circular_pad(g, h, m, before, after):
    for axis in (2, 3):
        parts = (
            ([_slice(g, h, m - before, m, axis)] if before else [])
            + [h]
            + ([_slice(g, h, 0, after, axis)] if after else [])
        )
        h = _node(g, "Concat", parts, axis=axis) if len(parts) > 1 else h
    return h


def _conv(g, h, layer):
    w = layer["weight"].astype(g["dtype"])
    m = layer["in_shape"][1]
    before, after = layer["padding"]
    h = _circular_pad(g, h, m, before, after)
    if g["dtype"] == np.float32:
        return _node(g, "Conv", [h, _const(g, w, "w")], kernel_shape=list(w.shape[2:]))
    us, vs = np.nonzero(np.any(w != 0, axis=(0, 1)))  # im2col over the offsets actually used
    if us.size == 0:
        us, vs = np.array([0]), np.array([0])
    windows = [_slice(g, _slice(g, h, u, u + m, 2), v, v + m, 3) for u, v in zip(us, vs)]
    cols = _node(g, "Concat", windows, axis=1) if len(windows) > 1 else windows[0]
    mat = np.ascontiguousarray(w[:, :, us, vs].transpose(2, 1, 0).reshape(-1, w.shape[0]))
    prod = _node(g, "MatMul", [_node(g, "Transpose", [cols], perm=[0, 2, 3, 1]), _const(g, mat, "w")])
    return _node(g, "Transpose", [prod], perm=[0, 3, 1, 2])


def onnx_model(weights, dtype=np.float64, split_input: bool = False, metadata: dict | None = None) -> bytes:
    """The serialised ONNX model of exported ``weights`` (:func:`constructions.export.network_weights`)."""
    onnx = require_onnx()
    from onnx import TensorProto, helper

    if not isinstance(weights, (list, tuple)) or not weights or not all(isinstance(w, dict) for w in weights):
        raise ValueError(
            f"weights must be a non-empty list of layer dicts (constructions.network_weights), got {weights!r:.80}"
        )
    g = _new_graph(dtype)
    if g["dtype"] not in (np.float32, np.float64):
        raise ValueError(f"ONNX export supports float32 and float64, got {g['dtype']}")
    if g["dtype"] == np.float32:
        for j, layer in enumerate(weights, start=1):
            check_float32(layer["weight"], f"layer {j}")
    size = sum(w["weight"].size for w in weights) * g["dtype"].itemsize
    if size >= MAX_BYTES:
        raise ValueError(
            f"the ONNX model would hold {size / 1e9:.1f} GB of weights; protobuf stops at 2 GB "
            f"(export the collapsed form, or --format npz)"
        )
    first = tuple(weights[0]["in_shape"])
    x_shape = ((first[0] // 2,) + first[1:]) if split_input else first
    h = "x"
    if split_input:
        h = _node(g, "Concat", [_node(g, "Relu", [h]), _node(g, "Relu", [_node(g, "Neg", [h])])], axis=1)
    shape = x_shape if not split_input else first
    for i, layer in enumerate(weights):
        h = _node(g, "Relu", [h]) if i else h
        want = tuple(layer["in_shape"]) if layer["kind"] == "conv" else (int(np.prod(layer["in_shape"])),)
        h = h if shape == want else _reshape(g, h, want)
        if layer["kind"] == "conv":
            h = _conv(g, h, layer)
            shape = tuple(layer["out_shape"])
        else:
            h = _node(g, "MatMul", [h, _const(g, layer["weight"].T.astype(g["dtype"]), "w")])
            shape = (layer["weight"].shape[0],)
    out_shape = tuple(weights[-1]["out_shape"])
    h = h if shape == out_shape else _reshape(g, h, out_shape)
    g["nodes"].append(helper.make_node("Identity", [h], ["y"]))
    elem = TensorProto.FLOAT if g["dtype"] == np.float32 else TensorProto.DOUBLE
    graph = helper.make_graph(
        g["nodes"],
        "slt_network",
        [helper.make_tensor_value_info("x", elem, ["N", *x_shape])],
        [helper.make_tensor_value_info("y", elem, ["N", *out_shape])],
        g["inits"],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="slt-equivariant")
    model.ir_version = IR_VERSION
    helper.set_model_props(model, {k: json.dumps(v) for k, v in (metadata or {}).items()})
    onnx.checker.check_model(model)
    return model.SerializeToString()
