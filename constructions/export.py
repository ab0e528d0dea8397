"""Networks as dense weights in PyTorch layouts (``slt export``), from a pruned-network or
a target file.

Three forms of a pruned network (THEORY §3):
* ``pruned``: the honest 2l-layer network, weights random * mask, ReLU after every layer
  but the last;
* ``collapsed``: the same function at the target's cost, l layers: the pair i is
  x -> S^+_i relu(x) + S^-_i relu(-x), so the input is (relu(x), relu(-x)) stacked along
  the channel axis (first the n_0 |F_0| positive-part channels) and the layers are
  [S^+_1 S^-_1], S^+_2, ..., S^+_l, ReLU after every layer but the last;
* ``target``: the target network the pruning approximates.

Layouts per layer: :mod:`constructions.weights`. Masks are exported in the weight layout
(True where the pruned weight is kept), with kept/total counts of coefficients (the
theorem's parameters) and of dense weight entries.
"""

from __future__ import annotations

import numpy as np

from groups import check_memory

from .files import meta_array
from .weights import dense_weight, layout

EXPORT_KIND = "slt-exported-network"
FORMS = ("pruned", "collapsed", "target")


def form_specs(specs, form: str) -> list:
    """(spec in, spec out) of every layer of a form, from the l + 1 boundary specs: the
    pruned layer 2i-1 maps X_{i-1} to itself, layer 2i maps X_{i-1} to X_i."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    pairs = list(zip(specs, specs[1:]))
    return [p for a, b in pairs for p in ((a, a), (a, b))] if form == "pruned" else pairs


def network_weights(layers, pairs=None) -> list:
    """One dict per layer: ``weight`` (PyTorch layout) and its :func:`~constructions.weights.layout`
    (``pairs``: the (spec in, spec out) of each layer, :func:`form_specs`). The float64
    weights are checked against the available memory before any is built."""
    from .network import Layer

    if not isinstance(layers, (list, tuple)) or not all(isinstance(L, Layer) for L in layers):
        raise ValueError(f"layers must be a list of Layers, got {layers!r:.80}")
    pairs = pairs or [(None, None)] * len(layers)
    if len(pairs) != len(layers):
        raise ValueError(f"pairs needs one (spec in, spec out) per layer ({len(layers)}), got {len(pairs)}")
    lays = [layout(L.basis, L.n_in, L.n_out, *p) for L, p in zip(layers, pairs)]
    check_memory(
        sum(int(np.prod(lay["weight_shape"])) for lay in lays) * 8,
        "the dense weights",
        "export the collapsed form, or a smaller m",
    )
    return [{"weight": dense_weight(L.basis, L.coeffs), **lay} for L, lay in zip(layers, lays)]


def pruned_forms(record) -> dict:
    """The Layers of every form of a pruned-network file, and its masks."""
    from .construction import from_masks, hidden_basis
    from .network import Layer
    from .saved import check_dims
    from .specs import basis_from_specs

    bases = [basis_from_specs(a, b) for a, b in zip(record.specs, record.specs[1:])]
    hidden = [hidden_basis(b) for b in bases]
    check_dims(record, bases, hidden)
    target = [Layer(b, t) for b, t in zip(bases, record.target)]
    random_layers = [Layer(b, r) for b, r in zip([b for p in zip(hidden, bases) for b in p], record.random)]
    result = from_masks(random_layers, target, record.masks)
    return {"pruned": result.pruned, "collapsed": result.collapsed, "target": target, "masks": result.masks}


def _describe(weights) -> list:
    return [{k: (list(v) if isinstance(v, tuple) else v) for k, v in w.items() if k != "weight"} for w in weights]


def export_arrays(forms: dict, specs, meta: dict) -> dict:
    """Arrays of the exported ``.npz``: ``layer_j`` (and ``mask_j``, ``collapsed_i``,
    ``target_i`` for a pruned network), ``kept``/``total`` counts, ``meta`` (layouts);
    ``specs``: the l + 1 boundary field specs (None: flat feature shapes)."""
    main = "pruned" if "pruned" in forms else "target"
    weights = {f: network_weights(forms[f], specs and form_specs(specs, f)) for f in FORMS if f in forms}
    arrays = {f"layer_{j}": w["weight"] for j, w in enumerate(weights[main], start=1)}
    info = {
        "format": 1,
        "kind": EXPORT_KIND,
        "layers_form": main,
        "activation": "relu after every layer but the last",
        **meta,
        "layers": _describe(weights[main]),
    }
    if main == "pruned":
        masks = [dense_weight(L.basis, mk.astype(np.float64)) != 0 for L, mk in zip(forms["pruned"], forms["masks"])]
        arrays.update({f"mask_{j}": mk for j, mk in enumerate(masks, start=1)})
        arrays.update({f"collapsed_{i}": w["weight"] for i, w in enumerate(weights["collapsed"], start=1)})
        arrays.update({f"target_{i}": w["weight"] for i, w in enumerate(weights["target"], start=1)})
        kept = [int(mk.sum()) for mk in forms["masks"]]
        total = [int(mk.size) for mk in forms["masks"]]
        arrays.update(
            {
                "kept": np.array(kept),
                "total": np.array(total),
                "kept_weights": np.array([int(mk.sum()) for mk in masks]),
                "total_weights": np.array([int(mk.size) for mk in masks]),
            }
        )
        info.update(
            {
                "kept_coefficients": kept,
                "total_coefficients": total,
                "kept": int(sum(kept)),
                "total": int(sum(total)),
                "collapsed": _describe(weights["collapsed"]),
                "collapsed_input": "concat(relu(x), relu(-x)) along the channel axis",
                "target": _describe(weights["target"]),
            }
        )
    arrays["meta"] = meta_array(info)
    return arrays


def target_forms(tf) -> dict:
    """The Layers of a target file (it must carry its field specs)."""
    from .network import Layer
    from .specs import basis_from_specs

    if tf.specs is None:
        raise ValueError(
            f"target file {tf.path!r} has no field specs ('meta'); write it with `slt import-weights` "
            f"or constructions.saved.save_target(..., specs)"
        )
    bases = [basis_from_specs(a, b) for a, b in zip(tf.specs, tf.specs[1:])]
    for i, (b, c) in enumerate(zip(bases, tf.coeffs), start=1):
        if c.shape[2] != b.dim:
            raise ValueError(
                f"target file {tf.path!r}: layer_{i} has {c.shape[2]} basis coefficients but its field "
                f"specs give |B_{i}| = {b.dim}"
            )
    return {"target": [Layer(b, c) for b, c in zip(bases, tf.coeffs)]}


def forms_of(record) -> dict:
    """Every form a file holds: pruned, collapsed and target for a pruned-network file,
    target for a target file."""
    from .saved import PrunedFile, TargetFile

    if not isinstance(record, (PrunedFile, TargetFile)):
        raise ValueError(f"record must be a PrunedFile (load_pruned) or a TargetFile (load_target), got {record!r:.80}")
    return pruned_forms(record) if isinstance(record, PrunedFile) else target_forms(record)
