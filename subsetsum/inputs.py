"""Input checks shared by the solvers: every message names the bad value and the
accepted range, so the command line can print it as one line."""
from __future__ import annotations

import math

import numpy as np

def check_samples(samples, name: str = "samples") -> np.ndarray:
    """float64 array of shape (P, n) with finite entries."""
    try:
        a = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a rectangular (P, n) array of floats: {exc}") from None
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (P, n), got shape {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        p, i = np.argwhere(bad)[0]
        raise ValueError(f"{name}[{p}, {i}] = {a[p, i]} is not finite "
                         f"({int(bad.sum())} non-finite entries); samples must be finite floats")
    return a


def check_problem(samples, targets) -> tuple[np.ndarray, np.ndarray]:
    """(samples (P, n), targets (P,)), float64 and finite.

    A single sample vector of shape (n,) is shared by all targets (broadcast to (P, n)).
    """
    try:
        z = np.asarray(targets, dtype=np.float64)
        a = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"samples must be a rectangular (P, n) array and targets a (P,) array of "
                         f"floats: {exc}") from None
    if z.ndim != 1:
        raise ValueError(f"targets must have shape (P,), got shape {z.shape}")
    if a.ndim == 1:
        a = np.broadcast_to(a, (z.shape[0], a.shape[0]))
    if a.ndim != 2 or a.shape[0] != z.shape[0]:
        raise ValueError(f"samples of shape {a.shape} and targets of shape {z.shape} do not "
                         f"match: expected samples (P, n) and targets (P,) with the same P")
    a = check_samples(a)
    bad = ~np.isfinite(z)
    if bad.any():
        p = int(np.argmax(bad))
        raise ValueError(f"targets[{p}] = {z[p]} is not finite; targets must be finite floats")
    check_magnitude(a, z)
    return np.ascontiguousarray(a), np.ascontiguousarray(z)


def check_magnitude(a: np.ndarray, z: np.ndarray | None = None) -> None:
    """Subset sums must not overflow: sum_i |a_pi| (+ |z_p|) < 1e300 per row."""
    with np.errstate(over="ignore"):
        total = np.abs(a).sum(axis=1) + (0.0 if z is None else np.abs(z))
    if not np.all(total < 1e300):
        p = int(np.argmax(~(total < 1e300)))
        what = "sum |samples|" if z is None else "sum |samples| + |target|"
        raise ValueError(f"problem {p}: {what} = {total[p]:.3g} overflows float64 subset sums; "
                         f"rescale the problem (accepted: below 1e300)")


def check_eps(eps) -> float | None:
    """None, or a float in (0, inf)."""
    if eps is None:
        return None
    try:
        e = float(eps)
    except (TypeError, ValueError):
        raise ValueError(f"eps must be a number > 0 (or None), got {eps!r}") from None
    if not (e > 0 and math.isfinite(e)):
        raise ValueError(f"eps must be > 0, i.e. a finite float in (0, inf), got {eps}")
    return e


def check_on_cap(on_cap) -> str:
    if on_cap not in ("raise", "prefix"):
        raise ValueError(f"on_cap must be 'raise' or 'prefix', got {on_cap!r}")
    return on_cap


def check_workers(workers) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    return int(workers)


def check_time_limit(time_limit) -> float | None:
    if time_limit is None:
        return None
    t = float(time_limit)
    if not (t > 0):
        raise ValueError(f"time_limit must be > 0 seconds (or None), got {time_limit}")
    return t


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**31:
        raise ValueError(f"seed must be an integer in [0, 2^31), got {seed!r}")
    return int(seed)
