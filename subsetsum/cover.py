"""Covering certificates: rigorous upper bounds of the sup-error of rows too long to enumerate,
composed from exact pieces (THEORY §5 "Covering certificates").

Σ(A) is the set of subset sums of the samples A; "A covers I within r" means every point of
the interval I is within r of Σ(A), so sup_error(A) <= r says that A covers [-1, 1] within r.
Three rules, each proven in THEORY §5 and used as written:

1. (component) For sorted sums s containing 0, the largest interval containing 0 covered
   within r runs from the first to the last sum of the run of consecutive sums around 0
   whose gaps are <= 2r, widened by r on both sides (:func:`zero_component`).
2. (extension) If A covers [L, U] within r and |x| <= U - L, then A ∪ {x} covers
   [L + min(x, 0), U + max(x, 0)] within r: [L, U] and [L, U] + x overlap. Applied sample
   after sample, each longer interval admits longer samples (:func:`extended_prefixes`);
   samples at most U - L in magnitude extend [L, U] to [L - E^-, U + E^+], E^+ / E^- the
   totals of their positive / negative parts.
3. (Minkowski) If A covers I within R and B covers [c - R, c + R] within r, then A ∪ B
   covers I + c within r: for z in I + c take a in Σ(A) with |z - c - a| <= R; then z - a
   lies in [c - R, c + R], within r of Σ(B) (:func:`layered_bound`).

Every bound is computed on float64 subset sums, like ``sup_error`` (rounding <= n 2^-53
sum|a_i|, far below the eps'' it certifies).
"""

from __future__ import annotations

import numpy as np

from groups import check_int, check_memory, check_real_array

from .certificate import MAX_N, _sup_error_sorted, sup_error
from .sums import sorted_sums

#: largest number of points of Σ(A) + Σ(B) a bottom window may hold (memory and time bound:
#: 2^23 float64 = 64 MB, sorted in about a second)
WINDOW_POINTS = 1 << 23
#: largest list of the bottom level: 2^20 sums (8 MB) per half
HALF_MAX = 20


def zero_component(s: np.ndarray, r) -> tuple[np.ndarray, np.ndarray]:
    """Rule 1: per row of sorted sums s (B, N), each containing 0, the largest interval
    [L, U] containing 0 that Σ covers within r (scalar or one value per row).

    >>> L, U = zero_component(np.array([[-0.5, 0.0, 0.1, 0.6]]), 0.1)
    >>> float(L[0]), float(U[0])
    (-0.1, 0.2)
    """
    B, N = s.shape
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), (B,))
    zero = np.argmax(s >= 0.0, axis=1)  # index of the sum 0
    bad = np.diff(s, axis=1) > 2.0 * r[:, None]  # gap i is (s_i, s_{i+1})
    col = np.arange(N - 1)
    right = bad & (col[None, :] >= zero[:, None])
    left = bad & (col[None, :] < zero[:, None])
    rows = np.arange(B)
    hi = np.where(right.any(axis=1), np.argmax(right, axis=1), N - 1)
    lo = np.where(left.any(axis=1), N - 1 - np.argmax(left[:, ::-1], axis=1), 0)
    return s[rows, lo] - r, s[rows, hi] + r


def longest_component(s: np.ndarray, r) -> tuple[np.ndarray, np.ndarray]:
    """Rule 1 without the 0: per row of sorted sums s (B, N), the longest interval [L, U]
    that Σ covers within r (a run of consecutive sums with gaps <= 2r, widened by r).

    >>> L, U = longest_component(np.array([[-0.5, 0.0, 0.1, 0.6, 0.7, 0.75]]), 0.1)
    >>> float(L[0]), round(float(U[0]), 12)
    (0.5, 0.85)
    """
    B, N = s.shape
    r = np.broadcast_to(np.asarray(r, dtype=np.float64), (B,))
    rr, ii = np.nonzero(np.diff(s, axis=1) > 2.0 * r[:, None])  # bad gaps (row, i), row-major
    rows = np.concatenate([np.arange(B), rr])
    start = np.concatenate([np.zeros(B, dtype=np.int64), ii + 1])
    end = np.concatenate([ii, np.full(B, N - 1, dtype=np.int64)])
    rows_e = np.concatenate([rr, np.arange(B)])
    o_s, o_e = np.lexsort((start, rows)), np.lexsort((end, rows_e))  # runs in order, per row
    rows, start, end = rows[o_s], start[o_s], end[o_e]
    length = s[rows, end] - s[rows, start]
    best = np.lexsort((-length, rows))  # per row, longest first
    first = best[np.searchsorted(rows[best], np.arange(B))]
    return s[rows[first], start[first]] - r, s[rows[first], end[first]] + r


def extended_prefixes(L: np.ndarray, U: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Rule 2 along a sequence: ok[b, k] = the interval [L_b, U_b], extended in order by each
    of rest[b, :k + 1] that is at most as long as the interval at that point (the others are
    left out: a sub-multiset), contains [-1, 1]. ``rest`` (B, K), zero-padded.

    >>> extended_prefixes(np.array([-0.2]), np.array([0.3]), np.array([[0.4, 0.5, -0.9, 0.3]])).tolist()
    [[False, False, True, True]]
    """
    lo, hi = L.astype(np.float64).copy(), U.astype(np.float64).copy()
    ok = np.zeros(rest.shape, dtype=bool)
    for k in range(rest.shape[1]):
        x = rest[:, k]
        use = np.abs(x) <= hi - lo
        hi += np.where(use & (x > 0), x, 0.0)
        lo += np.where(use & (x < 0), x, 0.0)
        ok[:, k] = (hi >= 1.0) & (lo <= -1.0)
    return ok


def _middle_interval(t_star: float, low: float, high: float, length: float) -> tuple[float, float]:
    """An interval [u_lo, u_hi] with u_lo <= low, u_hi >= high and length >= ``length``,
    centred as close to ``t_star`` as these allow (rule 2 then reaches [-1, 1])."""
    ell = max(length, high - low)
    t = min(max(t_star, high - ell / 2.0), low + ell / 2.0)
    return t - ell / 2.0, t + ell / 2.0


def window_points(sa: np.ndarray, sb: np.ndarray, lo: float, hi: float, budget: int = WINDOW_POINTS):
    """(sorted {a + b : a in sa, b in sb, lo <= a + b <= hi}, count) for sorted 1-D arrays;
    the points are None when more than ``budget`` fall in the window (nothing is built)."""
    start = np.searchsorted(sb, lo - sa, side="left")
    counts = np.searchsorted(sb, hi - sa, side="right") - start
    total = int(counts.sum())
    if total > budget or total == 0:
        return None, total
    ia = np.repeat(np.arange(sa.size), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    pts = sa[ia] + sb[np.repeat(start, counts) + offset]
    pts.sort()
    return pts, total


def _middle_radius(s_mid: np.ndarray, mid: np.ndarray, shift: float, ext: np.ndarray) -> float:
    """R with which Σ(M) (sorted sums ``s_mid``) covers an interval I that rule 2 with the
    samples ``ext`` (added in increasing magnitude) takes to [-1, 1] - shift: I must be
    at least max_k (|x_k| - sum_{i<k} |x_i|) long; R = sup over I of the distance to Σ(M)."""
    x = ext[np.argsort(np.abs(ext), kind="stable")]
    before = np.concatenate([[0.0], np.cumsum(np.abs(x))[:-1]])
    length = float(np.max(np.abs(x) - before, initial=0.0))
    e_up, e_down = float(x[x > 0].sum()), float(-x[x < 0].sum())
    u_lo, u_hi = _middle_interval(float(mid.sum()) / 2.0, -1.0 - shift + e_down, 1.0 - shift - e_up, length)
    return float(_sup_error_sorted(s_mid, lo=u_lo, hi=u_hi)[0])


def layered_bound(values: np.ndarray, middle: int, bottom: int, budget: int = WINDOW_POINTS) -> dict:
    """Rules 2 and 3 on one row of nonzero samples: an upper bound of its sup-error.

    The samples are ranked by magnitude: the ``bottom`` smallest form the bottom level (two
    lists A, B of about half each), the next ``middle`` the middle level M, the larger ones
    the extension (rule 2, smallest first). M covers an interval I within R (R = its exact
    sup-error over I; I as long as rule 2 needs, placed where Σ(M) is densest); the bottom
    covers [c - R, c + R] within r, c = half the bottom's total (where Σ(A) + Σ(B) is
    densest), by enumerating the points of Σ(A) + Σ(B) in that window; rule 3 gives
    A ∪ B ∪ M covering I + c within r and rule 2 extends that to [-1, 1]. A window that
    would hold more than ``budget`` points gives the bottom's largest samples to the middle
    side (each one about halves the count). The bound without a bottom is R with M just above
    the smallest samples and every other sample extending (M and rule 2 alone).
    Returns {bound, middle_bound, window_points, bottom}.
    """
    v = check_real_array("values", values, ndim=1)
    middle = check_int("middle", middle, 0, MAX_N)
    bottom = check_int("bottom", bottom, 0)
    budget = check_int("budget", budget, 1)
    check_memory(4 * 8 * budget, f"the bottom window (budget {budget:,} points)", "use a smaller budget")
    ranked = v[v != 0][np.argsort(np.abs(v[v != 0]), kind="stable")]
    n = ranked.size
    middle = min(middle, n)

    def radius(b: int, shift: float, ext_below: bool):
        mid = ranked[b : b + middle]
        s_mid = sorted_sums(mid[None, :])
        ext = np.concatenate([ranked[:b], ranked[b + middle :]]) if ext_below else ranked[b + middle :]
        return _middle_radius(s_mid, mid, shift, ext)

    plain = radius(0, 0.0, True)
    out = {"bound": plain, "middle_bound": plain, "window_points": 0, "bottom": 0}
    bottom = min(bottom, n - middle, 2 * HALF_MAX)
    while bottom >= 2 and plain > 0.0:
        low = ranked[:bottom]
        c = float(low.sum()) / 2.0
        R = radius(bottom, c, False)
        # points in the window ~ 2R 2^bottom / (sqrt(2 pi) sigma), sigma^2 = sum(low^2) / 4
        expected = 2 * R * 2.0**bottom / (2.5 * 0.5 * np.sqrt(np.sum(low**2)))
        if expected > 4 * budget:
            bottom -= max(1, int(np.ceil(np.log2(expected / (2 * budget)))))
            continue
        half = bottom // 2
        sa, sb = sorted_sums(low[None, :half])[0], sorted_sums(low[None, half:])[0]
        pts, total = window_points(sa, sb, c - R * (1 + 1e-3), c + R * (1 + 1e-3), budget)
        if pts is not None:
            r = float(_sup_error_sorted(pts[None, :], lo=c - R, hi=c + R)[0])
            out.update(bound=min(plain, r), window_points=total, bottom=bottom)
            break
        if total == 0:
            break
        bottom -= max(1, int(np.ceil(np.log2(total / budget))))
    return out


def exact_or_layered(
    values: np.ndarray, exact_max: int, middle: int, bottom: int, budget: int = WINDOW_POINTS
) -> float:
    """sup_error of the row when it has at most ``exact_max`` nonzero samples, else
    :func:`layered_bound` (a rigorous upper bound)."""
    v = np.asarray(values, dtype=np.float64)
    if np.count_nonzero(v) <= exact_max:
        return float(sup_error(v[None, :])[0])
    return layered_bound(v, middle, bottom, budget)["bound"]
