"""Subgroups G <= S_n and their generator syntax (DESIGN.md, perm family).

A subgroup is named (``S``: S_n, ``A``: A_n, ``C``: the cyclic group of the n-cycle
i -> i + 1, ``D``: the dihedral group of the n-gon, the n-cycle and i -> -i mod n) or given
by generators in 1-based cycle notation, comma separated: ``"(1 2)(3 4),(1 2 3)"``.
Permutations are 0-based image arrays: g[i] = image of i; composition (g h)[i] = g[h[i]].

>>> check_subgroup(" (1 2) , (1 2 3)(4) ", 4)
'(1 2),(1 2 3)(4)'
>>> subgroup_generators(4, "(1 2)(3 4),(1 2 3)")[0].tolist()
[[1, 0, 3, 2], [1, 2, 0, 3]]
>>> len(subgroup_elements(4, "A"))
12
"""

from __future__ import annotations

import re
from math import factorial

import numpy as np

from .checks import check_int

NAMED_SUBGROUPS = ("S", "A", "C", "D")
#: explicit generators: the group is enumerated up to this many elements
MAX_ENUMERATED = 200_000
SUBGROUP_FORMS = "S, A, C, D or generators in 1-based cycle notation separated by commas, e.g. '(1 2)(3 4),(1 2 3)'"
_GENERATOR = re.compile(r"\s*(\(\s*\d+(\s+\d+)*\s*\)\s*)+|\s*\(\s*\)\s*")


def _cycles(part: str, n: int) -> list[list[int]]:
    """The cycles of one generator as 1-based point lists, checked against [n]."""
    cycles, seen = [], set()
    for cycle in re.findall(r"\(([^()]*)\)", part):
        points = [int(v) for v in cycle.split()]
        for p in points:
            if not 1 <= p <= n:
                raise ValueError(f"subgroup: point {p} of generator {part.strip()!r} is outside 1..{n}")
            if p in seen:
                raise ValueError(f"subgroup: point {p} appears twice in generator {part.strip()!r}")
            seen.add(p)
        cycles.append(points)
    return cycles


def _generators(text, n: int) -> list[list[list[int]]]:
    """Generators in 1-based cycle notation -> one list of cycles (1-based points) per generator."""
    parts = text.split(",") if isinstance(text, str) else []
    if not parts or not all(_GENERATOR.fullmatch(part) for part in parts):
        raise ValueError(f"subgroup must be {SUBGROUP_FORMS}; got {text!r}")
    return [_cycles(part, n) for part in parts]


def parse_cycles(text: str, n: int) -> np.ndarray:
    """Generators in 1-based cycle notation -> their 0-based images, shape (generators, n)."""
    n = check_int("n", n, 1)
    perms = []
    for cycles in _generators(text, n):
        perm = np.arange(n)
        for points in cycles:
            for a, b in zip(points, points[1:] + points[:1]):
                perm[a - 1] = b - 1
        perms.append(perm)
    return np.array(perms, dtype=np.int64)


def check_subgroup(subgroup, n: int) -> str:
    """A named subgroup, or the generators rewritten with single spaces and no blanks
    around the parentheses and commas; ValueError naming the bad point or syntax."""
    n = check_int("n", n, 1)
    if subgroup in NAMED_SUBGROUPS:
        return subgroup
    gens = _generators(subgroup, n)
    return ",".join("".join("(" + " ".join(map(str, c)) + ")" for c in cycles) or "()" for cycles in gens)


def subgroup_generators(n: int, subgroup: str) -> tuple[np.ndarray, str, int | None]:
    """Generators of G as 0-based images, shape (generators, n), the group's name and |G|
    (None for explicit generators: the order is not computed here)."""
    n = check_int("n", n, 1)
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
        long = cycle if n % 2 else np.concatenate([[0], np.roll(ident[1:], -1)])  # (2 3 ... n) is even for n even
        return np.array([c3, long]), f"A_{n}", factorial(n) // 2
    if subgroup == "C":
        return cycle[None], f"C_{n}", n
    if subgroup == "D":
        return np.array([cycle, (-ident) % n]), f"D_{n}", 2 * n if n > 2 else n
    return parse_cycles(subgroup, n), f"<{check_subgroup(subgroup, n)}> <= S_{n}", None


def subgroup_elements(n: int, subgroup: str) -> tuple[tuple[int, ...], ...]:
    """All elements of G as image tuples (breadth-first closure of the generators, the
    identity first); ValueError past MAX_ENUMERATED elements."""
    gens = [tuple(int(v) for v in g) for g in subgroup_generators(n, subgroup)[0]]
    identity = tuple(range(n))
    seen, frontier = {identity: None}, [identity]
    while frontier:
        new = []
        for g in frontier:
            for s in gens:
                h = tuple(s[x] for x in g)  # s o g
                if h not in seen:
                    seen[h] = None
                    new.append(h)
            if len(seen) > MAX_ENUMERATED:
                raise ValueError(
                    f"the subgroup {subgroup!r} of S_{n} has more than {MAX_ENUMERATED} elements: "
                    f"too large to enumerate (use subgroup S, A, C or D)"
                )
        frontier = new
    return tuple(seen)
