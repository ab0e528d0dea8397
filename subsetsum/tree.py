"""The k-tree of Wagner's generalized birthday algorithm, batched over problems.

k = 2^L lists, built from k disjoint groups G_1..G_k of g samples each; leaf j is

    Λ_j = { sum_{i in T} a_i - c_j : T subset of G_j }        (2^g values, sorted),

with shifts c_j summing to z, so that a value of the root, sum_j (λ_j), is the residual
sum_{i in S} a_i - z of the subset S = T_1 ∪ ... ∪ T_k. Lists are merged pairwise:

* levels 1..L-1 (window merge): Λ ⊕ Λ' keeps the N = 2^g sums λ + λ' nearest 0 among
  the candidates "λ with each of the two values of Λ' that bracket -λ" (a window around
  0 holding about a list's worth of pairs: the merged list stays N long while its
  spread shrinks by about N per level);
* level L (closest pair): the pair of smallest |λ + λ'| (it brackets -λ for some λ).

The bracketing position r_i = #{j : Λ'_j <= -λ_i} of every λ_i comes from one stable
argsort of Λ' ++ (-Λ reversed) (two ascending runs: a linear merge in NumPy's timsort)
and its inverse permutation, row by row over a batch of independent merges: no Python
loop per problem. Every kept value stores its two parents; the root's pair is traced
down to one value per leaf, and the leaf subset is recovered exactly by a bitwise
equality search among the code-order sums (``sums``: sorted and code-order values are the
same floats).
"""

from __future__ import annotations

import numpy as np

from .sums import code_sums, sorted_sums, workspace_array


def _row_offsets(M: int, width: int) -> np.ndarray:
    """(M, 1) offsets of the rows of a C-contiguous (M, width) array in its ravel()."""
    return (np.arange(M, dtype=np.int64) * width)[:, None]


def _take(arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """arr[m, idx[m, t]] for a C-contiguous arr (M, W) and idx (M, K): one flat take
    (``np.take_along_axis`` builds broadcast index arrays and was ~3x slower here)."""
    return arr.ravel().take(idx + _row_offsets(*arr.shape))


def bracket(A: np.ndarray, B: np.ndarray, ws: dict | None = None):
    """For M independent merges of ascending A (M, NA) and B (M, NB): the sums of A_i with
    the two values of B that bracket -A_i,

        r_i = #{j : B_j <= -A_i},   s_i = A_i + B_{r_i - 1},   s_{NA + i} = A_i + B_{r_i},

    as s (M, 2 NA) and r (M, NA): candidate c is the pair (i, j) = (c mod NA,
    r_i - 1 + c div NA) (``pair``). A missing neighbour (r_i = 0 or NB) gives an infinite
    sum (B is padded with -inf and +inf).
    """
    M, NA = A.shape
    NB = B.shape[1]
    W = workspace_array(ws, "W", (M, NB + NA))
    W[:, :NB] = B
    np.negative(A[:, ::-1], out=W[:, NB:])
    perm = np.argsort(W, axis=1, kind="stable")  # ties: B first, so B_j = -A_i counts
    perm += _row_offsets(M, NB + NA)
    inv = workspace_array(ws, "inv", (M, NB + NA), np.int64)
    inv.ravel()[perm.ravel()] = _positions(M, NB + NA, ws)
    r = inv[:, : NB - 1 : -1] - np.arange(NA)[::-1]  # -A_i sits at W[:, NB + NA - 1 - i]
    Bp = workspace_array(ws, "Bp", (M, NB + 2))
    Bp[:, 0], Bp[:, -1] = -np.inf, np.inf
    Bp[:, 1:-1] = B
    at = r + _row_offsets(M, NB + 2)
    s = np.empty((M, 2 * NA))
    np.add(Bp.ravel().take(at), A, out=s[:, :NA])
    at += 1
    np.add(Bp.ravel().take(at), A, out=s[:, NA:])
    return s, r


def _positions(M: int, width: int, ws: dict | None) -> np.ndarray:
    """0, 1, ..., width - 1 repeated M times (cached in ``ws``)."""
    key = ("positions", M, width)
    out = None if ws is None else ws.get(key)
    if out is None:
        out = np.tile(np.arange(width, dtype=np.int64), M)
        if ws is not None:
            ws[key] = out
    return out


def pair(c: np.ndarray, r: np.ndarray):
    """(i, j) of candidates c (M, K) of ``bracket`` with positions r (M, NA)."""
    NA = r.shape[1]
    i = c % NA
    return i, _take(r, i) - 1 + c // NA


def window_merge(A: np.ndarray, B: np.ndarray, keep: int, ws: dict | None = None):
    """The ``keep`` candidate sums (``bracket``) nearest 0, for M merges: (values
    ascending (M, keep), their candidates c (M, keep), r (M, NA)); ``pair(c, r)`` gives
    the parents. keep <= NA (every A_i has a finite candidate: no infinity is kept)."""
    s, r = bracket(A, B, ws)
    d = workspace_array(ws, "d", s.shape)
    np.abs(s, out=d)
    c = np.ascontiguousarray(np.argpartition(d, keep - 1, axis=1)[:, :keep])
    vals = _take(s, c)
    order = np.argsort(vals, axis=1)
    return _take(vals, order), _take(c, order), r


def closest_pair(A: np.ndarray, B: np.ndarray, ws: dict | None = None):
    """The candidate of smallest |A_i + B_j| of M merges (the closest pair brackets -A_i
    for its i): (value (M, 1), c (M, 1), r (M, NA))."""
    s, r = bracket(A, B, ws)
    c = np.argmin(np.abs(s), axis=1)[:, None]
    return _take(s, c), c, r


def ktree_selection(groups: np.ndarray, z: np.ndarray, ws: dict | None = None) -> np.ndarray:
    """The k-tree on R problems with k = 2^L groups of g samples: groups (R, k, g) float64,
    z (R,). Returns the selection (R, k, g) bool of the subset found (the root's closest
    pair; its error is not checked here).

    Shifts: c_j = mu_j + (z - sum_l mu_l)/k with mu_j = sum(G_j)/2 the centre of leaf j's
    subset sums, so every first-level pair is centred at the same small offset
    2 (sum_l mu_l - z)/k instead of one list carrying all of z.
    """
    R, k, g = groups.shape
    L = k.bit_length() - 1
    if k != 1 << L or L < 1:
        raise ValueError(f"the k-tree needs k = 2^L >= 2 groups, got k = {k}")
    flat = groups.reshape(R * k, g)
    leaves = sorted_sums(flat).reshape(R, k, 1 << g)
    mu = groups.sum(axis=2) / 2
    shift = mu + ((z - mu.sum(axis=1)) / k)[:, None]
    lists = leaves - shift[:, :, None]
    parents = []
    for level in range(1, L + 1):
        m = lists.shape[1] // 2
        A = np.ascontiguousarray(lists[:, 0::2]).reshape(R * m, -1)
        B = np.ascontiguousarray(lists[:, 1::2]).reshape(R * m, -1)
        vals, c, r = closest_pair(A, B, ws) if level == L else window_merge(A, B, 1 << g, ws)
        parents.append((c, r))
        lists = vals.reshape(R, m, -1)
    idx = _trace(parents, R)
    leaf_vals = _take(leaves.reshape(R * k, -1), idx.reshape(R * k, 1)).reshape(R, k)
    codes = code_sums(flat).reshape(R, k, 1 << g)
    code = np.argmax(codes == leaf_vals[:, :, None], axis=2)  # (R, k)
    return ((code[:, :, None] >> np.arange(g)) & 1).astype(bool)


def _trace(parents: list, R: int) -> np.ndarray:
    """Leaf positions (R, k) of the root's pair. parents[l - 1] = (c, r) of level l, rows
    ordered (problem, list): list q of level l came from lists 2q and 2q + 1 below."""
    idx = np.zeros((R, 1), dtype=np.int64)
    for c, r in reversed(parents):
        m = idx.shape[1]  # lists at this level
        cand = _take(c, idx.reshape(R * m, 1))  # (R m, 1)
        i, j = pair(cand, r)
        idx = np.concatenate([i, j], axis=1).reshape(R, 2 * m)
    return idx
