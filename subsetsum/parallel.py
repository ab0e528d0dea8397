"""Running a function over row chunks, optionally on several threads.

NumPy releases the GIL in sorts and ufunc loops, so threads give real parallelism for
the batched solvers (measured ~2x on 2 cores). Each thread keeps one buffer cache
(``sums.workspace_array``) for all its chunks. Results come back in chunk order, so the
output does not depend on the number of threads.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def map_chunks(fn, starts, workers: int = 1) -> list:
    """[fn(start, ws) for start in starts], ``ws`` a per-thread dict of buffers."""
    starts = list(starts)
    local = threading.local()

    def one(start):
        if not hasattr(local, "ws"):
            local.ws = {}
        return fn(start, local.ws)

    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(starts))) as pool:
            return list(pool.map(one, starts))
    return [one(s) for s in starts]
