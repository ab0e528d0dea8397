"""Input checks shared by the bounds: each raises ValueError naming the value and the range."""

from __future__ import annotations

import math
import numbers

from groups import check_int


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def check_open_unit(value, name: str) -> float:
    """``value`` as a float if it lies in the open interval (0, 1), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value}")
    return float(value)


def check_eps(eps) -> float:
    return check_open_unit(eps, "eps")


def check_delta(delta) -> float:
    return check_open_unit(delta, "delta")


def check_positive_int(value, name: str) -> int:
    return check_int(name, value, 1)


def check_depth(depth) -> int:
    return check_positive_int(depth, "depth l")


def check_channels(channels) -> list[int]:
    """A list n_0, n_1, ..., n_l of at least 2 positive integers."""
    channels = list(channels)
    if len(channels) < 2:
        raise ValueError(f"channels needs at least 2 values n_0 n_1 (depth >= 1), got {channels}")
    for i, c in enumerate(channels):
        if not _is_int(c) or c < 1:
            raise ValueError(f"channels must be integers >= 1, got n_{i} = {c!r}")
    return [int(c) for c in channels]


def check_constant(C, name: str = "C") -> float:
    if isinstance(C, bool) or not isinstance(C, numbers.Real) or not math.isfinite(C) or C <= 0:
        raise ValueError(f"{name} must be a positive number, got {C!r}")
    return float(C)


def check_offset(c0, name: str = "c0") -> float:
    if isinstance(c0, bool) or not isinstance(c0, numbers.Real) or not math.isfinite(c0):
        raise ValueError(f"{name} must be a finite number, got {c0!r}")
    return float(c0)


def check_positive_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)
