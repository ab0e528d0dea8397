"""Running a function over row chunks: on several threads, or as tasks of an Executor.

NumPy releases the GIL in sorts and ufunc loops, so threads give real parallelism for
the batched solvers (measured ~2x on 2 cores). Each thread keeps one buffer cache
(``sums.workspace_array``) for all its chunks. Results come back in chunk order, so the
output does not depend on the number of threads.

``solve(..., executor=...)`` cuts a batch into row chunks of about ``CHUNK_VALUES`` sample
values and runs each as a task of any ``concurrent.futures.Executor`` (a process pool, a
Dask cluster): every method is row-separable (``registry``), so the concatenated answers
are the answers of the whole batch, bit for bit, whichever worker ran which chunk.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


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


#: sample values (rows x n) per task when ``solve`` sends a batch to an Executor: 2^18
#: values (2 MB of float64 out, 256 KB of masks back) is about 12,500 problems at n = 21,
#: ~70 ms of adaptive exact work at eps = 0.01, so the ~3 ms a Dask task costs stays under
#: 10 % (README "Beyond one machine": the measured rule)
CHUNK_VALUES = 1 << 18


def rows_per_task(P: int, n: int, rows: int | None = None) -> int:
    """Rows per Executor task: ``rows`` if given (>= 1), else ceil(CHUNK_VALUES / n)."""
    if rows is not None:
        if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
            raise ValueError(f"chunk_rows must be an integer >= 1 (rows per task), got {rows!r}")
        return int(rows)
    return max(1, -(-CHUNK_VALUES // max(n, 1)))


def map_row_chunks(executor, fn, a: np.ndarray, z: np.ndarray, *args, rows: int) -> list:
    """[fn(a[s:s+rows], z[s:s+rows], *args) for each row chunk s], each chunk a task of the
    ``concurrent.futures.Executor`` (submitted with one ``executor.map``), results in chunk
    order. ``fn`` must be picklable (a module-level function) for process and Dask
    executors. If one chunk fails the chunks not yet started are cancelled."""
    starts = range(0, a.shape[0], rows)
    count = len(starts)
    results = executor.map(
        fn, [a[s : s + rows] for s in starts], [z[s : s + rows] for s in starts], *([arg] * count for arg in args)
    )
    try:
        return list(results)
    finally:
        results.close()


def concatenate_rows(parts: list) -> tuple:
    """Field-wise concatenation of row-chunk answers (NamedTuples of (P_i, ...) arrays);
    a field that is None in the chunks stays None."""
    return tuple(None if fields[0] is None else np.concatenate(fields) for fields in zip(*parts))
