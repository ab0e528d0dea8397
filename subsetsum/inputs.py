"""Input checks shared by the solvers: every message names the bad value and the
accepted range, so the command line can print it as one line."""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np

from groups import check_int, check_memory, check_real, check_real_array

#: bytes held per problem besides its samples: target, sum, error, bound, status, samples used
PER_PROBLEM = 64
#: bytes per sample of a problem: the float64 copy, its mask and the solver's per-row workspace
PER_SAMPLE = 10


def check_samples(samples, name: str = "samples") -> np.ndarray:
    """float64 array of shape (P, n) with finite real entries (complex, bool, string and
    object arrays are refused, never cast)."""
    return check_real_array(name, samples, ndim=2)


def check_batch_memory(problems: int, n: int, what: str = "the Subset-Sum batch") -> None:
    """Refuse (before anything is allocated) a batch of ``problems`` rows of ``n`` samples
    whose arrays would not fit in memory (``groups.check_memory``)."""
    check_memory(
        problems * (n * PER_SAMPLE + PER_PROBLEM),
        f"{what} ({problems:,} problems of {n:,} samples)",
        "solve it in row chunks (every method is row-separable)",
    )


def check_problem(samples, targets) -> tuple[np.ndarray, np.ndarray]:
    """(samples (P, n), targets (P,)), float64 and finite.

    A single sample vector of shape (n,) is shared by all targets (broadcast to (P, n)).
    """
    z = check_real_array("targets", targets, finite=False)
    a = check_real_array("samples", samples, finite=False)
    if z.ndim != 1:
        raise ValueError(f"targets must have shape (P,), got shape {z.shape}")
    if a.ndim == 1:
        check_batch_memory(z.shape[0], a.shape[0])
        a = np.broadcast_to(a, (z.shape[0], a.shape[0]))
    if a.ndim != 2 or a.shape[0] != z.shape[0]:
        raise ValueError(
            f"samples of shape {a.shape} and targets of shape {z.shape} do not "
            f"match: expected samples (P, n) and targets (P,) with the same P"
        )
    check_batch_memory(*a.shape)
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
        raise ValueError(
            f"problem {p}: {what} = {total[p]:.3g} overflows float64 subset sums; "
            f"rescale the problem (accepted: below 1e300)"
        )


def check_eps(eps) -> float | None:
    """None, or a float in (0, inf)."""
    return None if eps is None else check_real("eps", eps, 0, None)


def check_on_cap(on_cap) -> str:
    if on_cap not in ("raise", "prefix"):
        raise ValueError(f"on_cap must be 'raise' or 'prefix', got {on_cap!r}")
    return on_cap


def check_workers(workers) -> int:
    return check_int("workers", workers, 1)


def check_time_limit(time_limit) -> float | None:
    """None, or seconds in (0, inf)."""
    return None if time_limit is None else check_real("time_limit (seconds)", time_limit, 0, None)


def check_executor(executor):
    """None, or a ``concurrent.futures.Executor`` (a process pool, Dask's ``Client.get_executor()``)."""
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(
            f"executor must be None or a concurrent.futures.Executor (a process pool, "
            f"Dask's Client.get_executor()), got {executor!r}"
        )
    return executor


def check_seed(seed) -> int:
    return check_int("seed", seed, 0, 2**31 - 1)
