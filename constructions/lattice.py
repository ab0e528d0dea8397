"""Exact E(2) subgroups on pixel lattices: Z_m^2 ⋊ H acting on fields over the torus.

H is a point group of the square or hexagonal lattice, a finite group of integer 2x2
matrices (:func:`groups.point_group`, which refuses the groups that do not act exactly).

A field of type F (an H-set: regular, trivial, quotient H/K, or point) over the torus is
X = F x Z_m^2 with (t, h) . (f, p) = (h . f, h p + t), indexed f * m^2 + x * m + y.
"""

from __future__ import annotations

import numpy as np

from groups import EXACT_GROUPS, check_field, check_int, check_kernel, point_group

from .actions import Action
from .protocol import ConvTable

__all__ = ["EXACT_GROUPS", "field_action", "kernel_offsets", "lattice_action", "lattice_basis"]


def field_action(group: str, field: str) -> np.ndarray:
    """The H-set F of a field type as the action table act[h, f] = h . f (h in index order).

    regular: F = H (left multiplication); trivial / point: one point; quotient:K: the left
    cosets hK, h' . hK = h'h K (groups.PointGroup.cosets)."""
    H = point_group(group)
    field = check_field(group, field)
    if field in ("trivial", "point"):
        return np.zeros((H.order, 1), dtype=np.int64)
    if field == "regular":
        return H.table
    return H.cosets(field.split(":", 1)[1])


def kernel_offsets(group: str, kernel: int, grid: int) -> np.ndarray:
    """The H-invariant kernel support as integer offsets, shape (|K|, 2) (DESIGN.md)."""
    hexagonal = point_group(group).lattice == "hex"
    kernel = check_kernel(group, kernel, grid)
    if kernel % 2 == 0:  # C1 only
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


def lattice_action(grid: int, group: str, field: str) -> Action:
    """Z_m^2 ⋊ H acting on X = F x Z_m^2 (m = ``grid``); generators: the two unit
    translations, then H's generators (rotation about the origin, reflection)."""
    m = check_int("grid", grid, 1)
    H = point_group(group)
    act = field_action(group, field)
    name = f"Z{m}^2x{group}"
    if field == "point":
        perms = np.zeros((2 + len(H.generators), 1), dtype=np.int64)
        return Action(name, perms, "point", m * m * H.order)
    nf = act.shape[1]
    f, x, y = np.meshgrid(np.arange(nf), np.arange(m), np.arange(m), indexing="ij")
    f, x, y = f.ravel(), x.ravel(), y.ravel()
    perms = [f * m * m + ((x + 1) % m) * m + y, f * m * m + x * m + (y + 1) % m]
    for g in map(H.index, H.generators):
        h = H.matrices[g]
        nx, ny = (h[0, 0] * x + h[0, 1] * y) % m, (h[1, 0] * x + h[1, 1] * y) % m
        perms.append(act[g, f] * m * m + nx * m + ny)
    return Action(name, np.stack(perms), f"{field} field of {group} on {m}x{m}", m * m * H.order)


def lattice_basis(grid: int, group: str, field_in: str, field_out: str, kernel: int):
    """Orbital basis of Hom_G(R^X, R^Y), G = Z_m^2 ⋊ H, with kernel locality.

    Translations act freely on pixels, so G-orbits of support pairs
    ((f', p), (f, p + o)) are the H-orbits of triples (f', f, o) in F_out x F_in x K,
    computed by union-find over H's generators on that small set (exact), then expanded
    to all pixels. Orbit ids are numbered as in :func:`orbital_basis` (first appearance in
    (y, x) order), so both constructions give identical bases; pairs involving a
    ``point`` field have no locality and use the generic construction.
    """
    from .orbital import OrbitalBasis, orbital_basis

    a_in, a_out = lattice_action(grid, group, field_in), lattice_action(grid, group, field_out)
    if "point" in (field_in, field_out):
        return orbital_basis(a_in, a_out, name=f"{group} {field_in}->{field_out} (global)")
    m = int(grid)
    offsets = kernel_offsets(group, kernel, m)
    H = point_group(group)
    gens = [H.index(g) for g in H.generators]
    act_in, act_out = field_action(group, field_in), field_action(group, field_out)
    K, fo, fi = offsets.shape[0], act_out.shape[1], act_in.shape[1]
    code = {tuple(o): i for i, o in enumerate(offsets)}
    o_idx, f_out, f_in = (t.ravel() for t in np.meshgrid(np.arange(K), np.arange(fo), np.arange(fi), indexing="ij"))
    src, dst, symmetries = [], [], []
    for g in gens:
        moved = offsets @ H.matrices[g].T
        o_img = np.array([code[tuple(v)] for v in moved])
        symmetries.append((H.matrices[g], o_img, act_out[g], act_in[g]))
        src.append(np.arange(o_idx.size))
        dst.append((o_img[o_idx] * fo + act_out[g, f_out]) * fi + act_in[g, f_in])
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = o_idx.size
    graph = coo_matrix(
        (np.ones(n * len(gens), dtype=np.int8), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)
    )
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
    conv = ConvTable(offsets, relabel[table], m, tuple(symmetries))
    return OrbitalBasis(
        a_in, a_out, rows, cols, relabel[ids], int(dim), conv, f"{group} {field_in}->{field_out}, kernel {kernel}"
    )
