"""Argument checks shared by every package: ONE check per kind of argument.

Each raises ``ValueError`` naming the argument, the value and the accepted range, in one
line, so the command line prints it as it is (exit status 2, never a traceback):

* :func:`check_int`: an integer (not a bool, a float or a string) in [minimum, maximum];
* :func:`check_real`: a real number (not a bool, a string or a complex) in a range, finite;
* :func:`check_flag`: True or False (not 0/1, not "no");
* :func:`check_generator`: a ``numpy.random.Generator``, or a seed (an integer >= 0) for one;
* :func:`check_real_array`: an array of real numbers (ints or floats; complex, bool,
  string and object arrays are refused, never cast), of a given number of dimensions,
  finite, returned as float64 (or kept float32).

>>> check_int("n", 3, 1)
3
>>> check_real("eps", 0.1, 0, 1)
0.1
>>> check_real("eps", 1.0, 0, 1)
Traceback (most recent call last):
...
ValueError: eps must be in (0, 1), got 1.0
>>> check_real_array("samples", [[1, 2]], ndim=2).dtype
dtype('float64')
>>> check_real_array("samples", [1 + 2j])
Traceback (most recent call last):
...
ValueError: samples must be an array of real numbers, got dtype complex128 (complex values are not truncated to their real part)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: dtype kinds accepted as real numbers: signed and unsigned integers, floats
REAL_KINDS = "iuf"
_KIND_NAMES = {
    "c": "complex values are not truncated to their real part",
    "b": "booleans are not numbers here",
    "U": "strings are not parsed",
    "S": "strings are not parsed",
    "O": "object arrays are not accepted",
    "V": "structured arrays are not accepted",
    "M": "dates are not numbers",
    "m": "time spans are not numbers",
}


def check_int(key: str, value, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int if it is an integer (not a bool) in [minimum, maximum]."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ValueError(f"{key} must be an integer {bound}, got {value!r}")
    return int(value)


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return "(-inf, inf)"
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_real(key: str, value, low=None, high=None, *, low_open: bool = True, high_open: bool = True) -> float:
    """``value`` as a float if it is a finite real number (not a bool or a string) in the
    interval from ``low`` to ``high`` (open ends by default; None: unbounded)."""
    where = _interval(low, high, low_open, high_open)
    both = low is not None and high is not None
    number = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not number or not math.isfinite(_as_float(value)):
        what = (
            f"a number in {where}"
            if both
            else (f"a number {where}" if low is not None or high is not None else "a finite number")
        )
        raise ValueError(f"{key} must be {what}, got {_shown(value)}")
    v = float(value)
    if (low is not None and not (v > low if low_open else v >= low)) or (
        high is not None and not (v < high if high_open else v <= high)
    ):
        raise ValueError(f"{key} must be {'in ' if both else ''}{where}, got {value!r}")
    return v


def _shown(value) -> str:
    """repr(value), or the size of an integer too long to print (10**400)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:12]}... ({len(text)} characters)"


def _as_float(value) -> float:
    """float(value), or inf for an integer too large for a float (10**400)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def check_flag(key: str, value) -> bool:
    """``value`` if it is True or False (NumPy bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key} must be True or False, got {value!r}")
    return bool(value)


def check_generator(key: str, value) -> np.random.Generator:
    """``value`` if it is a numpy Generator, else ``default_rng(seed)`` for a seed (an integer >= 0)."""
    if isinstance(value, np.random.Generator):
        return value
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0
    if not ok:
        raise ValueError(f"{key} must be a numpy Generator or a seed (an integer >= 0), got {value!r}")
    return np.random.default_rng(int(value))


def check_real_array(
    key: str, value, ndim: int | None = None, *, keep_float32: bool = False, finite: bool = True
) -> np.ndarray:
    """``value`` as a float64 array (float32 kept with ``keep_float32``) if it holds real
    numbers (integer or float dtype), has ``ndim`` dimensions and, with ``finite``, only
    finite entries. Lists are converted first; ragged lists are refused."""
    if isinstance(value, np.ma.MaskedArray):
        raise ValueError(f"{key} must be a plain array: masked arrays are refused (the mask would be ignored)")
    if isinstance(value, np.ndarray):
        a = value
    else:
        try:
            a = np.asarray(value)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise ValueError(f"{key} must be a rectangular array of real numbers: {exc}") from None
    if a.dtype.kind not in REAL_KINDS:
        why = _KIND_NAMES.get(a.dtype.kind, "")
        raise ValueError(f"{key} must be an array of real numbers, got dtype {a.dtype}" + (f" ({why})" if why else ""))
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{key} must have {ndim} dimension{'s' if ndim != 1 else ''}, got shape {a.shape}")
    if not (keep_float32 and a.dtype == np.float32):
        a = a.astype(np.float64, copy=False)
    if finite and a.size and not np.isfinite(a).all():
        bad = ~np.isfinite(a)
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        index = ", ".join(map(str, where))
        raise ValueError(
            f"{key}[{index}] = {a[where]} is not finite ({int(bad.sum())} non-finite entries); "
            f"{key} must be finite numbers"
        )
    return a
