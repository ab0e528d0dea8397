"""Strict re-check of a pruned-network file (``slt verify``): regenerate, compare, check.

A file passes only if
1. every ``random_j`` equals the random network drawn from the saved seed, specs, channels
   and m, bit for bit (NumPy's Generator draws are the same on every platform);
2. every ``target_i`` equals the target drawn from the seed, when it was (relative 1e-12:
   the rescaling to ||W_i||_op = 1 goes through floating-point norms);
3. ``pruned_j = random_j * mask_j`` exactly, and the masks are masks of the construction
   (only diagonal orbitals of the own block in layer 2i-1);
4. the masks are those the saved solver settings give: the Subset-Sum problems are solved
   again with the saved method and eps and the file's construction (both sign paths in
   every layer before format 3; skipped on request, and for format 1 files, which do not
   record the settings);
5. ``meta`` and the saved report agree on eps, seed, m, channels and specs, and every number
   of the saved report equals the recomputed one (relative 1e-9; the sampled errors only
   when the same inputs are drawn, the certificate only when it is recomputed and was saved
   by a version that restricts it to the optimised prefix; prose notes are not compared);
6. the checks hold: network error bound <= eps; certified when the saved report claimed
   it; equivariance and collapse errors below :data:`CHECK_TOLERANCE`.

Each function returns failures as lines naming the array, field or check.
"""

from __future__ import annotations

import numpy as np

from .construction import overparameterize, prune
from .network import Layer, random_network
from .saved import PrunedFile, seed_streams

#: equivariance and collapse errors above this fail (float64; both are ~1e-15 when right)
CHECK_TOLERANCE = 1e-10
#: relative tolerance for saved report numbers and targets regenerated through norms
REPORT_RTOL = 1e-9
TARGET_RTOL = 1e-12
#: report keys that are not numbers of the pruned network (timings, provenance, labels)
NOT_COMPARED = ("seconds", "method", "subset_sum_status", "m_source", "target_source", "saved", "file", "note")
SAMPLED = (
    "sup_error_sampled",
    "sup_error_ascent",
    "inputs",
    "ascent_starts",
    "ascent_steps",
    "equivariance_error",
    "equivariance_elements",
    "collapse_check",
)
ROUNDING_LEVEL = ("equivariance_error", "collapse_check")


def _where(a: np.ndarray, b: np.ndarray, close: bool) -> str:
    bad = ~np.isclose(a, b, rtol=TARGET_RTOL, atol=0) if close else a != b
    first = [int(v) for v in np.argwhere(bad)[0]]
    return (
        f"{int(bad.sum()):,} of {a.size:,} entries, first at {first}: {a[tuple(first)].item()!r} in the file, "
        f"{b[tuple(first)].item()!r} expected"
    )


def rebuild(record: PrunedFile, bases, hidden):
    """Target and random layers from the file, and the failures of items 1-3."""
    failures = []
    target_rng, net_rng, _ = seed_streams(record.seed)
    target = [Layer(b, t) for b, t in zip(bases, record.target)]
    if record.target_from_seed:
        drawn = random_network(bases, record.channels, target_rng)
        for i, (t, d) in enumerate(zip(record.target, drawn), start=1):
            if not np.allclose(t, d.coeffs, rtol=TARGET_RTOL, atol=0):
                failures.append(
                    f"target_{i}: differs from the target drawn from seed {record.seed} ({_where(t, d.coeffs, True)})"
                )
    random_layers = [Layer(b, r) for b, r in zip(_alternate(hidden, bases), record.random)]
    drawn = overparameterize(target, record.m, net_rng, hidden_bases=hidden)
    for j, (r, d) in enumerate(zip(record.random, drawn), start=1):
        if not np.array_equal(r, d.coeffs):
            failures.append(
                f"random_{j}: differs from the random network drawn from seed {record.seed} "
                f"({_where(r, d.coeffs, False)})"
            )
    for j, (r, mk, p) in enumerate(zip(record.random, record.masks, record.pruned), start=1):
        if not np.array_equal(p, r * mk):
            failures.append(f"pruned_{j}: is not random_{j} * mask_{j} ({_where(p, r * mk, False)})")
    return target, random_layers, failures


def _alternate(hidden, bases):
    return [b for pair in zip(hidden, bases) for b in pair]


def resolved_mask_failures(record: PrunedFile, target, random_layers) -> tuple[list, str]:
    """Item 4: solve the Subset-Sum problems again; (failures, what was done)."""
    if record.version < 2:
        return [], "not re-solved: a format 1 file does not record the solver settings"
    eps = None if record.optimal else record.eps
    res = prune(random_layers, target, eps=eps, method=record.method, all_paths=record.version < 3)
    failures = [
        f"mask_{j}: differs from the masks the saved settings give (method {record.method}, "
        f"{'optimal' if eps is None else f'eps {eps}'}; {_where(mk.astype(int), new.astype(int), False)})"
        for j, (mk, new) in enumerate(zip(record.masks, res.masks), start=1)
        if not np.array_equal(mk, new)
    ]
    how = f"re-solved with method {record.method}, {'to optimality' if eps is None else f'eps = {eps}'}"
    return failures, how + (": identical" if not failures else ": DIFFERENT")


def meta_failures(record: PrunedFile) -> list:
    """Item 5, first half: meta against the saved report."""
    out = []
    for key in ("eps", "seed", "m", "channels", "specs"):
        saved = record.report.get(key)
        if saved is not None and saved != getattr(record, key):
            out.append(f"{key}: meta says {getattr(record, key)!r} but the saved report says {saved!r}")
    return out


def _numbers_differ(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return any(k in b and _numbers_differ(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_numbers_differ(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return a != b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return not np.isclose(a, b, rtol=REPORT_RTOL, atol=0)
    return a != b


def report_failures(saved: dict, rep: dict, same_inputs: bool, same_certificate: bool) -> list:
    """Item 5, second half: every number of the saved report against the recomputed one."""
    out = []
    # certificates saved before they were restricted to the prefix each instance is optimised
    # over (no certificate_prefix_nonzero) bound another pruning: not compared, only re-checked
    same_certificate = same_certificate and not (
        "certificate_note" in saved and "certificate_prefix_nonzero" not in saved
    )
    for key, value in saved.items():
        if key not in rep or any(s in key for s in NOT_COMPARED) or key.endswith("_matches_saved"):
            continue
        if key in SAMPLED and not same_inputs:
            continue
        if key.startswith("certif") and not same_certificate:
            continue
        if key in ROUNDING_LEVEL:
            if not (value is not None and value <= CHECK_TOLERANCE):
                out.append(f"report.{key}: saved {value!r} is not below the tolerance {CHECK_TOLERANCE:g}")
            continue
        if _numbers_differ(value, rep[key]):
            out.append(f"report.{key}: saved {_short(value)}, recomputed {_short(rep[key])}")
    return out


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return "[" + ", ".join(_short(x) for x in v[:6]) + (", ..." if len(v) > 6 else "") + "]"
    return repr(v)


def check_failures(rep: dict, eps: float, claimed_certified, certificate_recomputed: bool) -> list:
    """Item 6: the checks of the recomputed report."""
    out = []
    if not rep["error_bound"] <= eps:
        out.append(f"check error bound: network error bound {rep['error_bound']:.4g} > eps = {eps:g}")
    if claimed_certified and certificate_recomputed and rep.get("certified") is not True:
        why = "skipped" if rep.get("certified_bound") is None else f"bound {rep['certified_bound']:.4g} > eps = {eps:g}"
        out.append(f"check certificate: the saved report claims certified, recomputed: not certified ({why})")
    for key, name in (("equivariance_error", "equivariance"), ("collapse_check", "collapse")):
        if not rep[key] <= CHECK_TOLERANCE:
            out.append(f"check {name}: {rep[key]:.3g} > tolerance {CHECK_TOLERANCE:g}")
    return out
