"""Subgroups of S_n acting on k-order tensors R^{n^k} (X = [n]^k, flattened in C order).

A subgroup is given by name (S: S_n, A: A_n, C: the cyclic group of the n-cycle,
D: the dihedral group of the n-gon) or by generators in 1-based cycle notation,
comma separated: ``"(1 2)(3 4),(1 2 3)"``. A permutation sigma of [n] acts on a
multi-index by (sigma . i)_t = sigma(i_t).
"""
from __future__ import annotations

import re
from math import factorial

import numpy as np

from .actions import Action


def check_n(n) -> int:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of points of S_n) must be an integer >= 1, got {n!r}")
    return int(n)


def check_order(k) -> int:
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"tensor order must be an integer >= 0, got {k!r}")
    if k > 6:
        raise ValueError(f"tensor order {k} is above the supported maximum 6")
    return int(k)


def parse_cycles(text: str, n: int) -> np.ndarray:
    """Generators in 1-based cycle notation -> array (generators, n) of 0-based images."""
    gens = []
    for part in re.split(r",(?![^()]*\))", text.strip()):
        part = part.strip()
        if not re.fullmatch(r"(\(\s*\d+(\s+\d+)*\s*\))+|\(\s*\)", part):
            raise ValueError(f"cannot parse generator {part!r}: use 1-based cycle notation like '(1 2 3)(4 5)'")
        perm = np.arange(n)
        seen = set()
        for cycle in re.findall(r"\(([^()]*)\)", part):
            pts = [int(v) - 1 for v in cycle.split()]
            for p in pts:
                if not 0 <= p < n:
                    raise ValueError(f"point {p + 1} in generator {part!r} is outside 1..{n}")
                if p in seen:
                    raise ValueError(f"point {p + 1} appears twice in generator {part!r}")
                seen.add(p)
            for a, b in zip(pts, pts[1:] + pts[:1]):
                perm[a] = b
        gens.append(perm)
    return np.array(gens, dtype=np.int64)


def subgroup_generators(n: int, subgroup: str) -> tuple[np.ndarray, str, int | None]:
    """Generators (as 0-based images on [n]), the group's name and its order if known."""
    n = check_n(n)
    ident = np.arange(n)
    cycle = np.roll(ident, -1)  # i -> i + 1
    if subgroup == "S":
        swap = ident.copy()
        if n > 1:
            swap[[0, 1]] = [1, 0]
        return np.array([swap, cycle]), f"S_{n}", factorial(n)
    if subgroup == "A":
        if n < 3:
            return ident[None], f"A_{n}", 1
        c3 = ident.copy()
        c3[[0, 1, 2]] = [1, 2, 0]
        if n % 2:
            long = cycle
        else:  # (2 3 ... n) is even for n even
            long = ident.copy()
            long[1:] = np.roll(ident[1:], -1)
        return np.array([c3, long]), f"A_{n}", factorial(n) // 2
    if subgroup == "C":
        return cycle[None], f"C_{n}", n
    if subgroup == "D":
        flip = (-ident) % n
        return np.array([cycle, flip]), f"D_{n}", 2 * n if n > 2 else n
    if isinstance(subgroup, str) and subgroup.strip().startswith("("):
        return parse_cycles(subgroup, n), f"<{subgroup.strip()}> <= S_{n}", None
    raise ValueError(f"unknown subgroup {subgroup!r}: use S, A, C, D or generators in cycle notation like '(1 2),(1 2 3)'")


def tensor_action(n: int, order: int, subgroup: str = "S") -> Action:
    """The subgroup of S_n acting on [n]^order (order 0: one point)."""
    gens, name, size = subgroup_generators(n, subgroup)
    k = check_order(order)
    if k == 0:
        return Action(name, np.zeros((gens.shape[0], 1), dtype=np.int64), "order-0 tensor (invariant)", size)
    idx = np.indices((n,) * k).reshape(k, -1)  # (k, n^k) multi-indices
    weights = n ** np.arange(k - 1, -1, -1)
    perms = np.stack([(g[idx] * weights[:, None]).sum(0) for g in gens])
    return Action(name, perms, f"order-{k} tensor of {name}", size)
