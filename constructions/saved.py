"""Files of networks: the pruned network (``slt prune --save``) and the target network.

Pruned-network file, format 3 (an ``.npz``; j = 1 .. 2l indexes the random layers, layer
2i-1 = lambda, 2i = mu of target layer i, THEORY §3). Format 3 has the arrays and ``meta``
of format 2; its masks come from the construction that solves only the positive path in
layers i >= 2 (format 2 masks solved both paths everywhere; ``slt verify`` re-solves each
file with its own construction):

=============  ============================================================================
``meta``       JSON: format 3, kind, specs (l + 1 field specs, DESIGN.md), channels
               n_0 .. n_l, eps, seed, m_1 .. m_l, method, optimal, target ("seed": drawn
               from the seed, or "file"), target_source, samples, certify, report (the
               verification report printed when it was saved)
``target_i``   (n_{i-1}, n_i, |B_i|) target coefficients alpha
``random_j``   random coefficients: (n_{i-1}, n_{i-1} m_i, |H_i|) for j = 2i-1,
               (n_{i-1} m_i, n_i, |B_i|) for j = 2i
``mask_j``     bool, the shape of random_j
``pruned_j``   random_j * mask_j
=============  ============================================================================

Format 1 files (before method, optimal and target were stored in ``meta``) load too: those
are read from the saved report. :func:`load_pruned` checks everything it can without the
bases (names, dtypes, finiteness, shapes against channels, depth and m); the basis
dimensions are checked when the bases are built (:func:`check_dims`).

Target-network file (``slt import-weights``, ``slt prune --target``): arrays ``layer_1``
.. ``layer_l`` of coefficients (n_{i-1}, n_i, |B_i|) and, optionally, ``meta`` with the
field specs and channels (kind "slt-target-network").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from groups import check_real_array

from .files import check_writable, meta_array, read_meta, read_npz, save_npz

FORMAT_VERSION = 3
PRUNED_KIND = "slt-pruned-network"
TARGET_KIND = "slt-target-network"


@dataclass(frozen=True, eq=False)
class PrunedFile:
    """Contents of a pruned-network file (module docstring); arrays as lists per layer."""

    specs: list
    channels: list
    eps: float
    seed: int
    m: list
    method: str
    optimal: bool
    target_from_seed: bool
    target_source: str
    report: dict
    target: list
    random: list
    masks: list
    pruned: list
    samples: int | None = None
    certify: str | None = None
    version: int = FORMAT_VERSION
    path: str = ""

    @property
    def depth(self) -> int:
        return len(self.target)


def pruned_file(
    specs,
    channels,
    target,
    random_layers,
    result,
    *,
    eps,
    seed,
    method,
    optimal,
    target_from_seed,
    target_source,
    report,
    samples=None,
    certify=None,
) -> PrunedFile:
    """The record of a run of the construction: ``target`` and ``random_layers`` are lists
    of Layers, ``result`` the :class:`~constructions.construction.PruneResult`."""
    return PrunedFile(
        specs=list(specs),
        channels=[int(c) for c in channels],
        eps=float(eps),
        seed=int(seed),
        m=[int(v) for v in result.m],
        method=str(method),
        optimal=bool(optimal),
        target_from_seed=bool(target_from_seed),
        target_source=str(target_source),
        report=report,
        target=[L.coeffs for L in target],
        random=[L.coeffs for L in random_layers],
        masks=[np.asarray(mk, dtype=bool) for mk in result.masks],
        pruned=[L.coeffs for L in result.pruned],
        samples=samples,
        certify=certify,
    )


def save_pruned(path, record: PrunedFile):
    """Write ``record`` to ``path`` atomically (compressed ``.npz``, format 3)."""
    meta = {
        "format": FORMAT_VERSION,
        "kind": PRUNED_KIND,
        "specs": record.specs,
        "channels": record.channels,
        "eps": record.eps,
        "seed": record.seed,
        "m": record.m,
        "method": record.method,
        "optimal": record.optimal,
        "target": "seed" if record.target_from_seed else "file",
        "target_source": record.target_source,
        "samples": record.samples,
        "certify": record.certify,
        "report": record.report,
    }
    arrays = {"meta": meta_array(meta)}
    for i, t in enumerate(record.target, start=1):
        arrays[f"target_{i}"] = t
    for j, (r, mk, p) in enumerate(zip(record.random, record.masks, record.pruned), start=1):
        arrays[f"random_{j}"], arrays[f"mask_{j}"], arrays[f"pruned_{j}"] = r, mk, p
    return save_npz(path, arrays)


def seed_streams(seed: int):
    """The three generators a run draws from its seed, in this order: the target (when
    drawn from the seed), the random network, the checks of the report."""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))


# ---------------------------------------------------------------------------- loading
def load_pruned(path) -> PrunedFile:
    """Read and validate a pruned-network file; one ValueError line for anything wrong."""
    return _pruned_from(read_npz(path, "pruned-network file"), path)


def load_network(path):
    """A pruned-network file (:class:`PrunedFile`) or a target file (:class:`TargetFile`),
    told apart by their arrays."""
    arrays = read_npz(path, "network file")
    if "random_1" in arrays or "target_1" in arrays:
        return _pruned_from(arrays, path)
    if "layer_1" in arrays:
        return _target_from(arrays, path)
    raise ValueError(
        f"{str(path)!r} is neither a pruned-network file (arrays target_i, random_j, mask_j, pruned_j) "
        f"nor a target file (arrays layer_1 ... layer_l); it holds {', '.join(sorted(arrays)[:8])}"
    )


def _pruned_from(arrays: dict, path) -> PrunedFile:
    what = "pruned-network file"
    meta = read_meta(arrays, path, what)
    if meta is None:
        raise ValueError(f"{what} {str(path)!r} has no 'meta' array: not a file written by `slt prune --save`")
    fail = _failer(path, what)
    fields = _pruned_meta(meta, fail)
    depth = len(fields["channels"]) - 1
    expected = (
        {"meta"}
        | {f"target_{i}" for i in range(1, depth + 1)}
        | {f"{kind}_{j}" for kind in ("random", "mask", "pruned") for j in range(1, 2 * depth + 1)}
    )
    _check_names(arrays, expected, fail, f"depth {depth} (from meta channels)")
    target = [_real(arrays, f"target_{i}", fail) for i in range(1, depth + 1)]
    random = [_real(arrays, f"random_{j}", fail) for j in range(1, 2 * depth + 1)]
    pruned = [_real(arrays, f"pruned_{j}", fail) for j in range(1, 2 * depth + 1)]
    masks = [_mask(arrays, f"mask_{j}", fail) for j in range(1, 2 * depth + 1)]
    _check_shapes(fields["channels"], fields["m"], target, random, masks, pruned, fail)
    return PrunedFile(target=target, random=random, masks=masks, pruned=pruned, path=str(path), **fields)


def _raise(message):
    raise ValueError(message)


def _failer(path, what):
    def fail(msg):
        raise ValueError(f"{what} {str(path)!r}: {msg}")

    return fail


def _int_list(value, name, fail, minimum=1):
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value)
    ):
        fail(f"meta {name!r} must be a non-empty list of integers >= {minimum}, got {value!r}")
    return value


def _pruned_meta(meta: dict, fail) -> dict:
    """The validated fields of a format 1, 2 or 3 ``meta`` object."""
    version = meta.get("format")
    if version not in (1, 2, FORMAT_VERSION):
        fail(f"meta 'format' is {version!r}; this version of the toolkit reads formats 1 to {FORMAT_VERSION}")
    if version >= 2 and meta.get("kind") != PRUNED_KIND:
        fail(f"meta 'kind' is {meta.get('kind')!r}, expected {PRUNED_KIND!r}")
    missing = [k for k in ("specs", "channels", "eps", "seed", "m", "report") if k not in meta]
    if missing:
        fail(f"meta lacks {', '.join(repr(k) for k in missing)}")
    report = meta["report"]
    if not isinstance(report, dict):
        fail(f"meta 'report' must be a JSON object, got {type(report).__name__}")
    channels = _int_list(meta["channels"], "channels", fail)
    if len(channels) < 2:
        fail(f"meta 'channels' needs at least 2 entries (n_0 ... n_l), got {channels}")
    m = _int_list(meta["m"], "m", fail)
    if len(m) != len(channels) - 1:
        fail(f"meta 'm' has {len(m)} entries but 'channels' describes {len(channels) - 1} layers")
    specs = _specs(meta["specs"], len(channels), fail)
    eps, seed = meta["eps"], meta["seed"]
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
        fail(f"meta 'eps' must be a number in (0, 1), got {eps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        fail(f"meta 'seed' must be an integer >= 0, got {seed!r}")
    if version == 1:  # format 1: what the run was is in its report
        method, optimal = report.get("method", "exact"), False
        source = str(report.get("target_source", ""))
        target = "file" if source.startswith("file") else "seed"
    else:
        method, optimal, target, source = (meta.get(k) for k in ("method", "optimal", "target", "target_source"))
    if not isinstance(method, str) or not isinstance(optimal, bool) or target not in ("seed", "file"):
        fail(
            f"meta needs 'method' (a string), 'optimal' (true/false) and 'target' ('seed' or 'file'), got "
            f"{method!r}, {optimal!r}, {target!r}"
        )
    from subsetsum import METHODS

    if method not in METHODS:
        fail(f"meta 'method' is {method!r}; the methods are {', '.join(sorted(METHODS))}")
    samples, certify = meta.get("samples"), meta.get("certify")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        fail(f"meta 'samples' must be an integer >= 1 (or absent), got {samples!r}")
    if certify is not None and certify not in ("auto", "yes", "no"):
        fail(f"meta 'certify' must be 'auto', 'yes' or 'no' (or absent), got {certify!r}")
    return dict(
        specs=specs,
        channels=channels,
        eps=float(eps),
        seed=seed,
        m=m,
        method=method,
        optimal=optimal,
        target_from_seed=target == "seed",
        target_source=str(source),
        report=report,
        samples=samples,
        certify=certify,
        version=version,
    )


def _specs(specs, count, fail) -> list:
    from .specs import normalize_spec

    if not isinstance(specs, list) or len(specs) != count:
        fail(f"meta 'specs' must list {count} field specs (one per layer boundary), got {specs!r:.200}")
    for i, s in enumerate(specs):
        try:
            normalize_spec(s)
        except ValueError as exc:
            fail(f"meta 'specs'[{i}] is not a valid field spec: {exc}")
    return specs


def _check_names(arrays, expected, fail, context):
    missing = sorted(expected - set(arrays), key=_natural)
    extra = sorted(set(arrays) - expected, key=_natural)
    if missing:
        fail(f"missing array(s) {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''} for {context}")
    if extra:
        fail(f"unexpected array(s) {', '.join(extra[:6])}{' ...' if len(extra) > 6 else ''} for {context}")


def _natural(name: str):
    head, _, tail = name.rpartition("_")
    return (head, int(tail)) if tail.isdigit() else (name, -1)


def _real(arrays, name, fail) -> np.ndarray:
    """A coefficient array (n_in, n_out, |B|) of real, finite numbers (``groups.check_real_array``)."""
    try:
        a = check_real_array(f"array {name!r}", arrays[name])
    except ValueError as exc:
        fail(str(exc))
    if a.ndim != 3:
        fail(f"array {name!r} must be 3-dimensional (fields in, fields out, basis), got shape {a.shape}")
    return a


def _mask(arrays, name, fail) -> np.ndarray:
    a = arrays[name]
    if a.dtype != bool:
        fail(f"array {name!r} must be a boolean mask (dtype bool), got dtype {a.dtype}")
    return a


def _check_shapes(channels, m, target, random, masks, pruned, fail) -> None:
    for i, t in enumerate(target):
        n_in, n_out, width = channels[i], channels[i + 1], channels[i] * m[i]
        if t.shape[:2] != (n_in, n_out):
            fail(f"target_{i + 1} has shape {t.shape}; meta channels need ({n_in}, {n_out}, |B_{i + 1}|)")
        first, second = random[2 * i], random[2 * i + 1]
        want = {2 * i + 1: (n_in, width), 2 * i + 2: (width, n_out)}
        for j, r in ((2 * i + 1, first), (2 * i + 2, second)):
            if r.shape[:2] != want[j]:
                fail(
                    f"random_{j} has shape {r.shape}; meta channels and m (m_{i + 1} = {m[i]}) need {want[j] + ('.',)}"
                )
        if second.shape[2] != t.shape[2]:
            fail(f"random_{2 * i + 2} has {second.shape[2]} basis coefficients but target_{i + 1} has {t.shape[2]}")
    for j, (r, mk, p) in enumerate(zip(random, masks, pruned), start=1):
        for name, a in ((f"mask_{j}", mk), (f"pruned_{j}", p)):
            if a.shape != r.shape:
                fail(f"{name} has shape {a.shape} but random_{j} has {r.shape}")


def check_dims(record: PrunedFile, bases, hidden) -> None:
    """The arrays' basis axes against the bases built from the file's specs."""
    fail = _failer(record.path, "pruned-network file")
    for i, (b, h) in enumerate(zip(bases, hidden)):
        if record.target[i].shape[2] != b.dim:
            fail(
                f"target_{i + 1} has {record.target[i].shape[2]} basis coefficients but the field specs give "
                f"|B_{i + 1}| = {b.dim}"
            )
        if record.random[2 * i].shape[2] != h.dim:
            fail(
                f"random_{2 * i + 1} has {record.random[2 * i].shape[2]} basis coefficients but the field specs "
                f"give |H_{i + 1}| = {h.dim}"
            )


# ---------------------------------------------------------------------------- target networks
@dataclass(frozen=True, eq=False)
class TargetFile:
    """A target network: coefficients per layer, and the field specs when the file has them."""

    coeffs: list
    specs: list | None = None
    channels: list | None = None
    meta: dict = field(default_factory=dict)
    path: str = ""


def save_target(path, coeffs, specs=None, **provenance):
    """Write target coefficients (arrays ``layer_i``) and, with ``specs``, their field
    specs and channels (``meta``), atomically; creates the directory of ``path`` if needed
    (report directories). ``provenance``: more JSON fields for meta."""
    coeffs = list(coeffs) if isinstance(coeffs, (list, tuple)) else coeffs
    if not isinstance(coeffs, list) or not coeffs:
        raise ValueError(f"coeffs must be a non-empty list of (n_in, n_out, |B|) arrays, got {coeffs!r:.80}")
    coeffs = [_real({f"layer_{i}": c}, f"layer_{i}", _raise) for i, c in enumerate(coeffs, start=1)]
    for i in range(len(coeffs) - 1):
        if coeffs[i].shape[1] != coeffs[i + 1].shape[0]:
            raise ValueError(
                f"layer_{i + 1} outputs {coeffs[i].shape[1]} fields but layer_{i + 2} takes {coeffs[i + 1].shape[0]}"
            )
    if specs is not None:
        _check_target_specs(coeffs, specs)
    _make_parent(path)
    check_writable(path, "target file")
    arrays = {f"layer_{i}": c for i, c in enumerate(coeffs, start=1)}
    if specs is not None:
        channels = [int(coeffs[0].shape[0])] + [int(c.shape[1]) for c in coeffs]
        arrays["meta"] = meta_array(
            {"format": 1, "kind": TARGET_KIND, "specs": list(specs), "channels": channels, **provenance}
        )
    return save_npz(path, arrays)


def _check_target_specs(coeffs, specs) -> None:
    """What :func:`load_target` and export will check, before writing: one valid field spec
    per layer boundary and |B_i| of each layer's specs."""
    from .specs import basis_from_specs

    fail = lambda msg: _raise(f"specs: {msg}")  # noqa: E731
    specs = _specs(list(specs) if isinstance(specs, (list, tuple)) else specs, len(coeffs) + 1, fail)
    for i, (a, b, c) in enumerate(zip(specs, specs[1:], coeffs), start=1):
        dim = basis_from_specs(a, b).dim
        if c.shape[2] != dim:
            raise ValueError(f"layer_{i} has {c.shape[2]} basis coefficients but specs give |B_{i}| = {dim}")


def _make_parent(path) -> None:
    """Create the directory of an output path (report directories); one ValueError line if it cannot be."""
    parent = Path(path).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"target file {str(path)!r}: cannot create directory {str(parent)!r} ({exc.strerror or exc})"
        ) from None


def load_target(path) -> TargetFile:
    """Read and validate a target-network file (arrays layer_1 .. layer_l, optional meta)."""
    return _target_from(read_npz(path, "target file"), path)


def _target_from(arrays: dict, path) -> TargetFile:
    what = "target file"
    fail = _failer(path, what)
    meta = read_meta(arrays, path, what) or {}
    depth = 0
    while f"layer_{depth + 1}" in arrays:
        depth += 1
    if depth == 0:
        fail(f"no array 'layer_1' (a target file holds layer_1 ... layer_l; found {sorted(arrays)[:6]})")
    _check_names(
        arrays,
        {f"layer_{i}" for i in range(1, depth + 1)} | ({"meta"} if "meta" in arrays else set()),
        fail,
        f"{depth} layers",
    )
    coeffs = [_real(arrays, f"layer_{i}", fail) for i in range(1, depth + 1)]
    for i in range(depth - 1):
        if coeffs[i].shape[1] != coeffs[i + 1].shape[0]:
            fail(f"layer_{i + 1} outputs {coeffs[i].shape[1]} fields but layer_{i + 2} takes {coeffs[i + 1].shape[0]}")
    specs = channels = None
    if "specs" in meta:
        channels = [int(coeffs[0].shape[0])] + [int(c.shape[1]) for c in coeffs]
        specs = _specs(meta["specs"], depth + 1, fail)
        if meta.get("channels", channels) != channels:
            fail(f"meta channels {meta.get('channels')} disagree with the arrays' shapes {channels}")
    return TargetFile(coeffs, specs, channels, meta, str(path))
