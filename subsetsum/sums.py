"""All 2^k subset sums of a batch of sample vectors, in code order and in sorted order.

For a row a = (a_0, ..., a_{k-1}) and a subset S of {0..k-1} with code c = sum_{i in S} 2^i,

    s(c) = (...((0 + a_{i_1}) + a_{i_2}) + ...) + a_{i_t}      (i_1 < ... < i_t the bits of c),

evaluated in float64 in that order, i.e. by the doubling recursion

    C_0 = [0],   C_{j+1} = C_j  ++  (C_j + a_j)                  (code order).

The sorted list is built by the same recursion with a merge instead of a concatenation,

    S_{j+1} = merge(S_j, S_j + a_j),

(both runs are sorted whatever the sign of a_j), so every value in the sorted list is
bitwise equal to the code-order value of the same subset: a value found in the sorted
list can be mapped back to its subset by an exact equality search in code order.

Merging is done with a bitonic network on the NumPy side: S_j ++ reversed(S_j + a_j) is
bitonic, ``log2(2^{j+1}/TILE)`` vectorised min/max stages split it into sorted-order
tiles of TILE values, and NumPy's sort finishes each tile (it uses a SIMD sorting network
for rows of <= 256 values on this machine). Measured here: ~9 ns per value at 2^10-2^11
values per row, against ~12 ns for timsort run merging and ~14-18 ns for ``np.sort``.
Past BITONIC_MAX values per row the network's log factor loses, and levels are merged by
NumPy's timsort (stable sort of two ascending runs: linear time).
"""

from __future__ import annotations

import numpy as np

from groups import check_memory, check_real_array

#: code_sums checks memory (a /proc read) only above this many sums
MEMORY_CHECKED = 1 << 22

#: first samples are sorted directly (2^BASE values, one ``np.sort`` per row)
BASE = 8
#: bitonic stages stop at tiles of this many values, which ``np.sort`` finishes
TILE = 256
#: levels producing more values per row merge with timsort instead: the bitonic network
#: costs log2(2^j / TILE) passes per level, timsort one (measured per level here: bitonic
#: 3.3, 4.0, 4.9, 5.7, 7.2 ns per value at 2^9, 2^10, 2^11, 2^12, 2^16 values, timsort ~5.2)
BITONIC_MAX = 1 << 11


def workspace_array(ws: dict | None, name: str, shape: tuple, dtype=np.float64) -> np.ndarray:
    """An uninitialised array of ``shape``, carved from a buffer cached in ``ws``.

    Reusing buffers across chunks avoids fresh large allocations: glibc serves them by
    mmap and the first touch of every page faults (measured ~2000 faults, +100 % time
    per problem at n = 32). ``ws=None`` allocates normally.
    """
    size = int(np.prod(shape))
    if ws is None:
        return np.empty(shape, dtype=dtype)
    key = (name, np.dtype(dtype).str)
    buf = ws.get(key)
    if buf is None or buf.size < size:
        buf = ws[key] = np.empty(max(size, 1), dtype=dtype)
    return buf[:size].reshape(shape)


def code_sums(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(B, k) samples -> (B, 2^k) float64 subset sums, column c = subset with code c."""
    a = check_real_array("a (code_sums samples)", a, ndim=2, finite=False)
    B, k = a.shape
    if out is None and (k > 40 or B << k > MEMORY_CHECKED):
        check_memory(
            8 * B * (1 << k),
            f"code_sums of {B:,} rows of {k} samples (2^{k} sums per row)",
            "use fewer samples per row",
        )
    out = np.empty((B, 1 << k)) if out is None else out
    out[:, 0] = 0.0
    for j in range(k):
        w = 1 << j
        np.add(out[:, :w], a[:, j : j + 1], out=out[:, w : 2 * w])
    return out


def _bitonic_to_sorted(x: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Sort rows of ``x`` (B, m) that are bitonic (ascending then descending), m = 2^p.

    Half-cleaner stages (min/max of the two halves of each block) down to blocks of
    TILE values; after them every tile holds exactly the values of its rank range, in
    bitonic order, and a per-tile sort finishes the job. Overwrites ``x`` and
    ``scratch`` (same shape, C-contiguous); returns the one holding the result.
    """
    B, m = x.shape
    half = m // 2
    while half >= TILE:
        y = x.reshape(B, -1, 2, half)
        o = scratch.reshape(B, -1, 2, half)
        np.minimum(y[:, :, 0], y[:, :, 1], out=o[:, :, 0])
        np.maximum(y[:, :, 0], y[:, :, 1], out=o[:, :, 1])
        x, scratch = scratch, x
        half //= 2
    tiles = x.reshape(-1, min(TILE, m))
    tiles.sort(axis=1)
    return x


def sorted_sums(a: np.ndarray, with_code_order: bool = False, ws: dict | None = None, tag: str = ""):
    """(B, k) samples -> (B, 2^k) subset sums, each row sorted ascending.

    Values are bitwise identical to ``code_sums(a)`` (same float64 operations), only
    permuted: ``np.sort(code_sums(a), axis=1) == sorted_sums(a)`` exactly. With
    ``with_code_order`` returns ``(sorted, code_sums(a))``, sharing the work. ``ws``:
    buffer cache (``workspace_array``); ``tag`` keeps buffers of concurrent calls apart.
    """
    a = np.asarray(a, dtype=np.float64)
    B, k = a.shape
    b = min(k, BASE)
    base = code_sums(a[:, :b])
    if k == b:
        s = np.sort(base, axis=1)
        return (s, base) if with_code_order else s
    n_all = B << k
    bufs = (workspace_array(ws, tag + "s0", (n_all,)), workspace_array(ws, tag + "s1", (n_all,)))
    cur = 0  # s lives in bufs[cur]
    s = bufs[0][: B << b].reshape(B, 1 << b)
    s[...] = base
    s.sort(axis=1)
    if with_code_order:
        codes = workspace_array(ws, tag + "code", (B, 1 << k))
        codes[:, : 1 << b] = base
    for j in range(b, k):
        m = s.shape[1]
        if with_code_order:
            np.add(codes[:, :m], a[:, j : j + 1], out=codes[:, m : 2 * m])
        x = bufs[1 - cur][: 2 * m * B].reshape(B, 2 * m)
        x[:, :m] = s
        if 2 * m > BITONIC_MAX:
            # two ascending runs: timsort detects them and merges in linear time
            np.add(s, a[:, j : j + 1], out=x[:, m:])
            x.sort(axis=1, kind="stable")
            s, cur = x, 1 - cur
            continue
        # reversed(S_j + a_j): descending, so S_j ++ it is bitonic
        np.add(s[:, ::-1], a[:, j : j + 1], out=x[:, m:])
        scratch = bufs[cur][: 2 * m * B].reshape(B, 2 * m)
        s = _bitonic_to_sorted(x, scratch)
        cur = 1 - cur if s is x else cur
    return (s, codes) if with_code_order else s
