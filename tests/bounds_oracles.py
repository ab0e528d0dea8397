"""Independent brute-force oracles for the closed forms of `bounds` (no code shared with it).

Lattice: build G = Z_m^2 ⋊ H as explicit maps on X = F x Z_m^2 (H as 2x2 integer
matrices, fields as H-sets built from those matrices), and count the orbits of G on the
support pairs with a graph's connected components; the norm is the op norm of the 0/1
support matrix. Perm: enumerate G <= S_n and count the orbits of G on [n]^t directly.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

SQUARE_R = np.array([[0, -1], [1, 0]])  # (x, y) -> (-y, x)
SQUARE_S = np.array([[1, 0], [0, -1]])  # (x, y) -> (x, -y)
HEX_R = np.array([[0, -1], [1, 1]])  # (a, b) -> (-b, a + b)
HEX_S = np.array([[1, 1], [0, -1]])  # (a, b) -> (a + b, -b)


def _key(M):
    return tuple(int(v) for v in np.asarray(M).ravel())


def _close(gens):
    """All products of the 2x2 integer matrices ``gens`` (a finite group)."""
    elems = {_key(np.eye(2, dtype=int)): np.eye(2, dtype=int)}
    frontier = list(elems.values())
    while frontier:
        new = []
        for A in frontier:
            for g in gens:
                B = g @ A
                if _key(B) not in elems:
                    elems[_key(B)] = B
                    new.append(B)
        frontier = new
    return list(elems.values())


def point_group_matrices(group: str):
    """(generators, elements, rotation r) of H as integer matrices, per DESIGN.md."""
    N, hexagonal = int(group[1:]), group in ("C3", "C6", "D3", "D6")
    R0, S0 = (HEX_R, HEX_S) if hexagonal else (SQUARE_R, SQUARE_S)
    r = np.linalg.matrix_power(R0, (6 if hexagonal else 4) // N)
    gens = [r] + ([S0] if group[0] == "D" else [])
    return gens, _close(gens), r, S0


def field_set(group: str, field: str):
    """(points, act) with act(h, index) -> index: the H-set F of a field."""
    gens, elems, r, s = point_group_matrices(group)
    if field in ("trivial", "point"):
        return [None], lambda h, i: 0
    if field == "regular":
        keys = [_key(e) for e in elems]
        index = {k: i for i, k in enumerate(keys)}
        return keys, lambda h, i: index[_key(h @ elems[i])]
    kind, d = field.split(":")[1][0], int(field.split(":")[1].lstrip("CD_"))
    N = int(group[1:])
    kgens = [np.linalg.matrix_power(r, N // d)] + ([s] if kind == "D" else [])
    K = _close(kgens)
    cosets = []
    for e in elems:
        c = frozenset(_key(e @ k) for k in K)
        if c not in cosets:
            cosets.append(c)
    index = {c: i for i, c in enumerate(cosets)}
    mats = {_key(e): e for e in elems}

    def act(h, i):
        return index[frozenset(_key(h @ mats[x]) for x in cosets[i])]

    return cosets, act


def kernel_offsets(group: str, k: int):
    if group in ("C3", "C6", "D3", "D6"):
        rad = (k - 1) // 2
        return [
            (a, b)
            for a in range(-rad, rad + 1)
            for b in range(-rad, rad + 1)
            if (abs(a) + abs(b) + abs(a + b)) // 2 <= rad
        ]
    lo, hi = (-(k // 2), k // 2 - 1) if k % 2 == 0 else (-(k - 1) // 2, (k - 1) // 2)
    return [(a, b) for a in range(lo, hi + 1) for b in range(lo, hi + 1)]


def lattice_support(group: str, f_in: str, f_out: str, k: int, m: int):
    """(support matrix S (|Y| x |X|, 0/1), number of G-orbits on the support) by brute force."""
    gens, _, _, _ = point_group_matrices(group)

    def space(field):
        if field == "point":
            return [("pt",)], lambda g, x: x
        pts, act = field_set(group, field)
        X = [(f, a, b) for f in range(len(pts)) for a in range(m) for b in range(m)]

        def move(g, x):
            kind, h = g
            f, a, b = x
            if kind == "t":
                return (f, (a + h[0]) % m, (b + h[1]) % m)
            p = h @ np.array([a, b])
            return (act(h, f), int(p[0]) % m, int(p[1]) % m)

        return X, move

    X, move_x = space(f_in)
    Y, move_y = space(f_out)
    offsets = {(a % m, b % m) for a, b in kernel_offsets(group, k)}
    local = "point" not in (f_in, f_out)
    S = np.zeros((len(Y), len(X)), dtype=np.int8)
    for iy, y in enumerate(Y):
        for ix, x in enumerate(X):
            S[iy, ix] = 1 if not local else int(((y[1] - x[1]) % m, (y[2] - x[2]) % m) in offsets)
    xi = {x: i for i, x in enumerate(X)}
    yi = {y: i for i, y in enumerate(Y)}
    G = [("t", (1, 0)), ("t", (0, 1))] + [("h", g) for g in gens]
    rows, cols = [], []
    for iy, y in enumerate(Y):
        for ix, x in enumerate(X):
            for g in G:
                rows.append(iy * len(X) + ix)
                cols.append(yi[move_y(g, y)] * len(X) + xi[move_x(g, x)])
    n = len(X) * len(Y)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    return S, len(set(labels[S.ravel() == 1]))


def perm_group(n: int, subgroup: str):
    """Elements of G <= S_n as tuples (0-based images)."""
    if subgroup == "S":
        return list(itertools.permutations(range(n)))
    if subgroup == "A":

        def parity(p):
            seen, sign = set(), 0
            for i in range(n):
                j, length = i, 0
                while j not in seen:
                    seen.add(j)
                    j = p[j]
                    length += 1
                sign += max(0, length - 1)
            return sign % 2

        return [p for p in itertools.permutations(range(n)) if parity(p) == 0]
    rots = [tuple((i + a) % n for i in range(n)) for a in range(n)]
    if subgroup == "C":
        return rots
    return list(set(rots + [tuple((a - i) % n for i in range(n)) for a in range(n)]))


def perm_orbits(n: int, subgroup: str, t: int) -> int:
    """Number of G-orbits on [n]^t, by canonical representatives."""
    G = perm_group(n, subgroup)
    return len({min(tuple(g[v] for v in x) for g in G) for x in itertools.product(range(n), repeat=t)})


def sup_error_reference(samples) -> np.ndarray:
    """(P, n) -> (P,): sup over z in [-1, 1] of min_S |z - sum_S|, all 2^n sums sorted (small n)."""
    samples = np.asarray(samples, dtype=float)
    out = np.empty(len(samples))
    for r, row in enumerate(samples):
        sums = np.array([0.0])
        for a in row[row != 0]:
            sums = np.concatenate([sums, sums + a])
        sums.sort()
        worst = max(np.min(np.abs(sums + 1)), np.min(np.abs(sums - 1)))
        mid = (sums[1:] + sums[:-1]) / 2
        inside = (mid >= -1) & (mid <= 1)
        if inside.any():
            worst = max(worst, float(np.max((sums[1:] - sums[:-1])[inside] / 2)))
        out[r] = worst
    return out


def pensia_samples(rng, shape):
    """D = 1/2 delta_0 + 1/2 Law(U V), U ~ U[0, 1], V ~ U[-1, 1]."""
    keep = rng.random(shape) < 0.5
    return np.where(keep, rng.random(shape) * rng.uniform(-1, 1, shape), 0.0)
