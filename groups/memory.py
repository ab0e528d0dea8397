"""Sizes checked against memory before allocating: one helper every package uses.

:func:`check_memory` is called with an estimate of the bytes a computation will hold at
once, before it allocates anything; above :data:`SAFETY` of the memory the system can
still give (``MemAvailable`` of /proc/meminfo, else ``os.sysconf``), it raises one
``ValueError`` line with the estimate, the available memory and what to change:

>>> check_memory(8 * 10**18, "the samples (--n 1000000000000000000)")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: the samples (--n 1000000000000000000) would take about 8e+09 GB, more than 80% of the ... GB of memory available
"""

from __future__ import annotations

import numbers
import os

from .checks import check_real

#: at most this fraction of the available memory is used by one allocation plan
SAFETY = 0.8
FLOAT = 8  # bytes of a float64 or an int64


def available_memory() -> int | None:
    """Bytes the system can still give: MemAvailable of /proc/meminfo, else free pages
    (``os.sysconf``); None if unknown (then nothing is refused)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def gigabytes(nbytes: float) -> str:
    """'12.3 GB' (decimal gigabytes, 3 significant digits)."""
    return f"{nbytes / 1e9:.3g} GB"


def check_memory(nbytes, what: str, hint: str = "") -> int:
    """Raise ValueError when ``nbytes`` (an estimate of what ``what`` holds at once)
    exceeds :data:`SAFETY` of the available memory; returns ``nbytes`` as an int."""
    if not isinstance(nbytes, numbers.Integral):
        check_real("nbytes (the memory estimate)", nbytes, 0, None, low_open=False)
    if nbytes < 0:
        raise ValueError(f"nbytes (the memory estimate) must be >= 0, got {nbytes!r}")
    nbytes = int(nbytes)
    free = available_memory()
    if free is not None and nbytes > SAFETY * free:
        raise ValueError(
            f"{what} would take about {gigabytes(nbytes)}, more than {SAFETY:.0%} of the "
            f"{gigabytes(free)} of memory available" + (f"; {hint}" if hint else "")
        )
    return nbytes
