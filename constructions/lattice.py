"""Exact E(2) subgroups on pixel lattices: Z_m^2 ⋊ H acting on fields over the torus.

H is a finite group of integer 2x2 matrices preserving the lattice (DESIGN.md):
square lattice: C1, C2, C4, D1, D2, D4 with r = rotation by 360/N, s = (x, y) -> (x, -y);
hexagonal lattice (basis e1, e2 at 60 degrees): C3, C6, D3, D6 with
r60 = (a, b) -> (-b, a + b) and s = (a, b) -> (a + b, -b) (reflection across e1).
These are the only rotation groups that act exactly on a pixel lattice; any other
request is an error.

A field of type F (an H-set: regular, trivial, quotient H/K, or point) over the torus is
X = F x Z_m^2 with (t, h) . (f, p) = (h . f, h p + t), indexed f * m^2 + x * m + y.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .actions import Action

SQUARE_GROUPS = ("C1", "C2", "C4", "D1", "D2", "D4")
HEX_GROUPS = ("C3", "C6", "D3", "D6")
EXACT_GROUPS = SQUARE_GROUPS + HEX_GROUPS

_R90 = np.array([[0, -1], [1, 0]])
_S_SQUARE = np.array([[1, 0], [0, -1]])
_R60 = np.array([[0, -1], [1, 1]])  # (a, b) -> (-b, a + b) as a column-vector map
_S_HEX = np.array([[1, 1], [0, -1]])  # (a, b) -> (a + b, -b)


def parse_point_group(name: str) -> tuple[str, int, bool]:
    """('C'|'D', N, hexagonal?) for an exact point group name; ValueError otherwise."""
    if not isinstance(name, str) or not re.fullmatch(r"[CD][0-9]+", name):
        raise ValueError(f"unknown point group {name!r}: exact groups are {', '.join(EXACT_GROUPS)}")
    if name not in EXACT_GROUPS:
        raise ValueError(
            f"{name} does not act exactly on a pixel lattice; the exact rotation groups are "
            f"{', '.join(SQUARE_GROUPS)} (square lattice) and {', '.join(HEX_GROUPS)} (hexagonal lattice)")
    return name[0], int(name[1:]), name in HEX_GROUPS


@lru_cache(maxsize=None)
def point_group(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Elements of H as integer matrices, shape (|H|, 2, 2), listed r^i s^j (index i + N j),
    and the generator indices into that list (rotation, then reflection if dihedral)."""
    kind, N, hexagonal = parse_point_group(name)
    if hexagonal:
        r = np.linalg.matrix_power(_R60, 6 // N)
        s = _S_HEX
    else:
        r = np.linalg.matrix_power(_R90, 4 // N) if N > 1 else np.eye(2, dtype=int)
        s = _S_SQUARE
    rotations = [np.linalg.matrix_power(r, i) for i in range(N)]
    elements = rotations + ([rot @ s for rot in rotations] if kind == "D" else [])
    gens = [1 % N] + ([N] if kind == "D" else [])
    return np.array(elements, dtype=np.int64), np.array(gens)


def _element_index(elements: np.ndarray) -> dict:
    return {e.tobytes(): i for i, e in enumerate(elements)}


@lru_cache(maxsize=None)
def multiplication_table(name: str) -> np.ndarray:
    """table[i, j] = index of h_i h_j."""
    elements, _ = point_group(name)
    index = _element_index(elements)
    prods = np.einsum("iab,jbc->ijac", elements, elements)
    return np.array([[index[p.tobytes()] for p in row] for row in prods])


def subgroup_elements(group: str, sub: str) -> np.ndarray:
    """Indices of the subgroup K = C_d = <r^(N/d)> or D_d = <r^(N/d), s> of H."""
    kind, N, _ = parse_point_group(group)
    m = re.fullmatch(r"([CD])([0-9]+)", sub or "")
    if not m:
        raise ValueError(f"quotient subgroup must be C<d> or D<d>, got {sub!r}")
    skind, d = m.group(1), int(m.group(2))
    if d < 1 or N % d:
        raise ValueError(f"subgroup {sub} of {group}: d = {d} must divide N = {N}")
    if skind == "D" and kind == "C":
        raise ValueError(f"{group} has no reflections, so {sub} is not a subgroup of it")
    rot = [i * (N // d) for i in range(d)]
    return np.array(rot + ([N + i for i in rot] if skind == "D" else []))


def field_set(group: str, field: str) -> tuple[np.ndarray, str]:
    """The H-set F of a field type as the action table act[h, f] = h . f, and a label.

    regular: F = H (left multiplication); trivial / point: one point;
    quotient:K: the left cosets hK, h' . hK = h'h K.
    """
    table = multiplication_table(group)
    order = table.shape[0]
    if field in ("trivial", "point"):
        return np.zeros((order, 1), dtype=np.int64), field
    if field == "regular":
        return table.copy(), "regular"
    if isinstance(field, str) and field.startswith("quotient:"):
        K = subgroup_elements(group, field.split(":", 1)[1])
        # coset of c = sorted tuple of {c k : k in K}; label cosets by first appearance
        cosets = {}
        coset_of = np.empty(order, dtype=np.int64)
        for c in range(order):
            key = tuple(sorted(table[c, K]))
            coset_of[c] = cosets.setdefault(key, len(cosets))
        reps = np.array([min(key) for key in cosets])
        act = coset_of[table[:, reps]]  # h . (rep K) = (h rep) K
        return act, field
    raise ValueError(f"unknown field type {field!r}: use regular, trivial, quotient:<K> (e.g. quotient:C2) or point")


def kernel_offsets(group: str, kernel: int, grid: int) -> np.ndarray:
    """The H-invariant kernel support as integer offsets, shape (|K|, 2) (DESIGN.md)."""
    kind, N, hexagonal = parse_point_group(group)
    if not isinstance(kernel, (int, np.integer)) or kernel < 1:
        raise ValueError(f"kernel size must be an integer >= 1, got {kernel!r}")
    if kernel > grid:
        raise ValueError(f"kernel size {kernel} is larger than the grid {grid}: "
                         f"the kernel must fit in the torus without wrap-around (kernel <= grid)")
    if kernel % 2 == 0:
        if group != "C1":
            raise ValueError(f"kernel size {kernel} is even: only odd kernels are invariant under {group} "
                             f"(even kernels are allowed for C1 / cnn only)")
        lo, hi = -kernel // 2, kernel // 2 - 1
    else:
        lo, hi = -(kernel - 1) // 2, (kernel - 1) // 2
    a, b = np.meshgrid(np.arange(lo, hi + 1), np.arange(lo, hi + 1), indexing="ij")
    offsets = np.stack([a.ravel(), b.ravel()], axis=1)
    if hexagonal:
        r = (kernel - 1) // 2
        dist = (np.abs(offsets[:, 0]) + np.abs(offsets[:, 1]) + np.abs(offsets.sum(1))) // 2
        offsets = offsets[dist <= r]
    return offsets


def check_grid(grid) -> int:
    if not isinstance(grid, (int, np.integer)) or grid < 1:
        raise ValueError(f"grid size must be an integer >= 1, got {grid!r}")
    return int(grid)


def lattice_action(grid: int, group: str, field: str) -> Action:
    """Z_m^2 ⋊ H acting on X = F x Z_m^2 (m = ``grid``); generators: the two unit
    translations, then H's generators (rotation about the origin, reflection)."""
    m = check_grid(grid)
    elements, gens = point_group(group)
    act, label = field_set(group, field)
    name = f"Z{m}^2x{group}"
    if field == "point":
        perms = np.zeros((2 + gens.size, 1), dtype=np.int64)
        return Action(name, perms, "point", m * m * elements.shape[0])
    nf = act.shape[1]
    f, x, y = np.meshgrid(np.arange(nf), np.arange(m), np.arange(m), indexing="ij")
    f, x, y = f.ravel(), x.ravel(), y.ravel()
    perms = [f * m * m + ((x + 1) % m) * m + y, f * m * m + x * m + (y + 1) % m]
    for g in gens:
        h = elements[g]
        nx, ny = (h[0, 0] * x + h[0, 1] * y) % m, (h[1, 0] * x + h[1, 1] * y) % m
        perms.append(act[g, f] * m * m + nx * m + ny)
    return Action(name, np.stack(perms), f"{label} field of {group} on {m}x{m}", m * m * elements.shape[0])


def lattice_basis(grid: int, group: str, field_in: str, field_out: str, kernel: int):
    """Orbital basis of Hom_G(R^X, R^Y), G = Z_m^2 ⋊ H, with kernel locality.

    Translations act freely on pixels, so G-orbits of support pairs
    ((f', p), (f, p + o)) are the H-orbits of triples (f', f, o) in F_out x F_in x K,
    computed by union-find over H's generators on that small set (exact), then expanded
    to all pixels. Orbit ids are numbered as in :func:`orbital_basis` (first appearance in
    (y, x) order), so both constructions give identical bases; pairs involving a
    ``point`` field have no locality and use the generic construction.
    """
    from .orbital import ConvTable, OrbitalBasis, orbital_basis

    a_in, a_out = lattice_action(grid, group, field_in), lattice_action(grid, group, field_out)
    if "point" in (field_in, field_out):
        return orbital_basis(a_in, a_out, name=f"{group} {field_in}->{field_out} (global)")
    m = int(grid)
    offsets = kernel_offsets(group, kernel, m)
    elements, gens = point_group(group)
    act_in, _ = field_set(group, field_in)
    act_out, _ = field_set(group, field_out)
    K, fo, fi = offsets.shape[0], act_out.shape[1], act_in.shape[1]
    code = {tuple(o): i for i, o in enumerate(offsets)}
    o_idx, f_out, f_in = (t.ravel() for t in np.meshgrid(np.arange(K), np.arange(fo), np.arange(fi), indexing="ij"))
    src, dst = [], []
    for g in gens:
        moved = offsets @ elements[g].T
        o_img = np.array([code[tuple(v)] for v in moved])
        src.append(np.arange(o_idx.size))
        dst.append((o_img[o_idx] * fo + act_out[g, f_out]) * fi + act_in[g, f_in])
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = o_idx.size
    graph = coo_matrix((np.ones(n * len(gens), dtype=np.int8), (np.concatenate(src), np.concatenate(dst))), shape=(n, n))
    dim, table = connected_components(graph, directed=True, connection="weak")
    table = table.reshape(K, fo, fi)
    # expand: y = (f_out, p), x = (f_in, p + o)
    P = m * m
    px, py = np.divmod(np.arange(P), m)
    qx = (px[:, None] + offsets[None, :, 0]) % m  # (P, K)
    qy = (py[:, None] + offsets[None, :, 1]) % m
    rows = np.broadcast_to((np.arange(fo)[:, None, None, None] * P + np.arange(P)[None, :, None, None]), (fo, P, K, fi))
    cols = np.broadcast_to(np.arange(fi)[None, None, None, :] * P + (qx * m + qy)[None, :, :, None], (fo, P, K, fi))
    ids = np.broadcast_to(table.transpose(1, 0, 2)[:, None, :, :], (fo, P, K, fi))
    rows, cols, ids = rows.ravel(), cols.ravel(), ids.ravel()
    order = np.argsort(rows * (fi * P) + cols, kind="stable")
    rows, cols, ids = rows[order], cols[order], ids[order]
    # canonical relabelling: first appearance in (y, x) order
    _, first = np.unique(ids, return_index=True)
    relabel = np.empty(dim, dtype=np.int64)
    relabel[np.argsort(first, kind="stable")] = np.arange(dim)
    conv = ConvTable(offsets, relabel[table], m)
    return OrbitalBasis(a_in, a_out, rows, cols, relabel[ids], int(dim), conv,
                        f"{group} {field_in}->{field_out}, kernel {kernel}")
