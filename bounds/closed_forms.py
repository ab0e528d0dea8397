"""Closed forms of |B| (number of orbitals) and ||B|| (basis norm) from field specs.

|B| = (1/|G|) sum_g |Fix_Y(g)| |Fix_X(g)| (Burnside, THEORY §1). ||B|| = ||S||_op for the
0/1 support matrix S = sum_k b_k; when G is transitive on X and on Y (every field of
DESIGN.md is), S has constant row sums r and column sums c, and ||S||_op = sqrt(r c)
exactly (S^T S 1 = r c 1 with a positive eigenvector: Perron-Frobenius).

* mlp: |B| = 1, ||B|| = 1.
* cnn (Z_m^2, k x k kernel): |B| = k^2, ||B|| = k^2.
* steerable (Z_m^2 ⋊ H, kernel offsets K, fields F_in -> F_out): G-orbits on support pairs
  correspond to H-orbits on F_out x F_in x K, so
      |B| = (1/|H|) sum_h |Fix_{F_out}(h)| |Fix_{F_in}(h)| |Fix_K(h)|
  (fixed points: `point_groups`), ||B|| = |K| sqrt(|F_in| |F_out|). A `point` field has
  no locality: (point, X) orbits = H-orbits on F_X (drop K and the point's factor), and
  S is all-ones between the point and X: ||B|| = sqrt(m^2 |F_X|) (1 for point -> point).
* perm (G <= S_n, k -> l tensors): `perm_groups`; ||B|| = sqrt(n^k n^l) (S is all-ones).

`basis_dim`/`basis_norm` return numbers; `basis_dim_expr`/`basis_norm_expr` return SymPy
expressions in the sizes (k, m, n, k_in, k_out; see `symbols`), with `sizes(...)` the
substitution that turns them into the numbers (call ``.doit()`` for the perm sums).
"""

from __future__ import annotations

import math

import sympy as sp

from groups import FAMILIES, NAMED_SUBGROUPS, check_compatible

from . import point_groups as PG
from . import symbols as S
from .perm_groups import perm_basis_dim, perm_basis_dim_expr, perm_basis_norm, perm_basis_norm_expr


def _kind(spec_in, spec_out):
    """The validated field types (groups.check_compatible) and their family kind."""
    a, b = check_compatible(spec_in, spec_out)
    return a, b, FAMILIES[a.family].kind


def _lattice_dim(group: str, f_in: str, f_out: str, k):
    """(1/|H|) sum_h Fix_Fout(h) Fix_Fin(h) Fix_K(h); K dropped if a field is a point."""
    local = "point" not in (f_in, f_out)
    terms = [
        PG.field_fix(group, f_out, h) * PG.field_fix(group, f_in, h) * (PG.kernel_fix(group, h, k) if local else 1)
        for h in PG.elements(group)
    ]
    order = len(PG.elements(group))
    if isinstance(k, sp.Basic):
        return sp.factor(sp.expand(sp.Add(*terms) / order))
    q, r = divmod(sum(terms), order)
    if r:
        raise AssertionError(f"Burnside count for {group} {f_in}->{f_out}, k={k} is not an integer")
    return q


def _lattice_norm(group: str, f_in: str, f_out: str, k, m):
    """|K| sqrt(|F_in| |F_out|); with a point field: sqrt(m^2 |F_other|); point -> point: 1."""
    sqrt = sp.sqrt if isinstance(k, sp.Basic) else math.sqrt
    size_in, size_out = PG.field_size(group, f_in), PG.field_size(group, f_out)
    if f_in == "point" and f_out == "point":
        return sp.Integer(1) if isinstance(k, sp.Basic) else 1.0
    if "point" in (f_in, f_out):
        return m * sqrt(size_out if f_in == "point" else size_in)
    norm = PG.kernel_size(group, k) * sqrt(size_in * size_out)
    return sp.factor(norm) if isinstance(k, sp.Basic) else norm


def basis_dim(spec_in: dict, spec_out: dict) -> int:
    """|B|: number of orbitals of the layer spec_in -> spec_out (closed form, exact integer).

    >>> basis_dim({"family": "steerable", "grid": 8, "kernel": 3, "group": "D4", "field": "regular"},
    ...           {"family": "steerable", "grid": 8, "kernel": 3, "group": "D4", "field": "regular"})
    72
    """
    a, b, kind = _kind(spec_in, spec_out)
    if kind == "mlp":
        return 1
    if kind == "perm":
        return perm_basis_dim(a.n, a.subgroup, a.order, b.order)
    return _lattice_dim(a.group, a.field, b.field, a.kernel)


def basis_norm(spec_in: dict, spec_out: dict) -> float:
    """||B|| = ||sum_k b_k||_op (closed form).

    >>> basis_norm({"family": "cnn", "grid": 8, "kernel": 3}, {"family": "cnn", "grid": 8, "kernel": 3})
    9.0
    """
    a, b, kind = _kind(spec_in, spec_out)
    if kind == "mlp":
        return 1.0
    if kind == "perm":
        return perm_basis_norm(a.n, a.order, b.order)
    return float(_lattice_norm(a.group, a.field, b.field, a.kernel, a.grid))


def basis_dim_expr(spec_in: dict, spec_out: dict) -> sp.Expr:
    """|B| symbolic in the sizes (kernel k; perm: n, k_in, k_out). Discrete choices (group,
    fields, subgroup) come from the specs; explicit generators fix n (Burnside numerically)."""
    a, b, kind = _kind(spec_in, spec_out)
    if kind == "mlp":
        return sp.Integer(1)
    if kind == "perm":
        return perm_basis_dim_expr(a.subgroup, a.n)
    return _lattice_dim(a.group, a.field, b.field, S.k)


def basis_norm_expr(spec_in: dict, spec_out: dict) -> sp.Expr:
    """||B|| symbolic in the sizes (kernel k, grid m; perm: n, k_in, k_out)."""
    a, b, kind = _kind(spec_in, spec_out)
    if kind == "mlp":
        return sp.Integer(1)
    if kind == "perm":
        return perm_basis_norm_expr()
    return _lattice_norm(a.group, a.field, b.field, S.k, S.grid)


def sizes(spec_in: dict, spec_out: dict) -> dict:
    """The substitution {symbol: value} that evaluates the `*_expr` closed forms."""
    a, b, kind = _kind(spec_in, spec_out)
    if kind == "lattice":
        return {S.k: a.kernel, S.grid: a.grid}
    if kind == "perm":
        return {S.n: a.n, S.k_in: a.order, S.k_out: b.order}
    return {}


def closed_form_kind(spec_in: dict, spec_out: dict) -> str:
    """'closed form', or 'Burnside over the enumerated group' (perm with explicit generators)."""
    a, _, kind = _kind(spec_in, spec_out)
    if kind == "perm" and a.subgroup not in NAMED_SUBGROUPS:
        return "Burnside over the enumerated group"
    return "closed form"
