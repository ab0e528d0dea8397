"""Finite groups acting on finite sets by permutations (THEORY.md §1).

A field type is an action of a finite group G on a finite set X, given by the images of
G's generators as index permutations: ``perms[i, p] = g_i . p``. The representation on
R^X is (rho(g) x)[g . p] = x[p], i.e. ``rho(g) x = x[..., g^-1]``.

Two actions belong to the same group when they carry the same ``group`` name (which
identifies the group AND its ordered generating set): generator i of one action and
generator i of the other are the same abstract group element, so G acts on Y x X by
(g . y, g . x).

Composition convention: (g h) . p = g . (h . p), i.e. ``(g h)[p] = g[h[p]]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from groups import check_generator, check_int

#: default cap on the number of group elements enumerated by :func:`closure`
MAX_GROUP_ORDER = 100_000


@dataclass(frozen=True, eq=False)
class Action:
    """An action of the group called ``group`` on ``size`` points.

    ``perms`` has shape (number of generators, size), ``perms[i, p] = g_i . p``.
    ``order`` is |G| when known (None for large groups), ``name`` describes the field.
    """

    group: str
    perms: np.ndarray
    name: str = ""
    order: int | None = None

    def __post_init__(self):
        perms = np.asarray(self.perms)
        if perms.dtype.kind not in "iu":
            raise ValueError(
                f"perms of {self.group!r} must be an array of integer point indices, got dtype {perms.dtype} "
                f"(values are not rounded)"
            )
        perms = perms.astype(np.int64, copy=False)
        if perms.ndim != 2 or perms.shape[0] < 1:
            raise ValueError(f"perms must have shape (generators >= 1, size), got {perms.shape}")
        size = perms.shape[1]
        if size < 1:
            raise ValueError("an action needs at least one point (size >= 1)")
        if not np.array_equal(np.sort(perms, axis=1), np.broadcast_to(np.arange(size), perms.shape)):
            bad = int(np.nonzero((np.sort(perms, axis=1) != np.arange(size)).any(axis=1))[0][0])
            raise ValueError(f"generator {bad} of {self.group!r} is not a permutation of {size} points")
        perms.setflags(write=False)
        object.__setattr__(self, "perms", perms)

    @property
    def size(self) -> int:
        return int(self.perms.shape[1])

    @property
    def ngens(self) -> int:
        return int(self.perms.shape[0])

    def __repr__(self) -> str:
        return f"Action({self.group!r}, {self.name!r}, size={self.size})"


def check_same_group(*actions: Action) -> None:
    """Raise ValueError unless all actions are of the same group with the same generators."""
    first = actions[0]
    for other in actions[1:]:
        if other.group != first.group or other.ngens != first.ngens:
            raise ValueError(
                f"field types of different groups cannot be mapped equivariantly: "
                f"{first.name or first.group} of {first.group!r} vs {other.name or other.group} of {other.group!r}"
            )


def inverse(perm: np.ndarray) -> np.ndarray:
    """Inverse permutation(s) along the last axis (each row must be a permutation of 0..n-1)."""
    perm = np.asarray(perm)
    if perm.dtype.kind not in "iu" or perm.ndim < 1:
        raise ValueError(f"perm must be an array of integer point indices, got dtype {perm.dtype}, shape {perm.shape}")
    inv = np.argsort(perm, axis=-1, kind="stable")
    if not np.array_equal(
        np.take_along_axis(perm, inv, axis=-1), np.broadcast_to(np.arange(perm.shape[-1]), perm.shape)
    ):
        raise ValueError(f"perm must be a permutation of 0..{perm.shape[-1] - 1} along its last axis, got {perm!r:.80}")
    return inv


def act(perm: np.ndarray, x: np.ndarray) -> np.ndarray:
    """rho(g) x for a permutation g of X acting on the last axis: (rho(g) x)[g . p] = x[p]."""
    x = np.asarray(x)
    if np.ndim(perm) != 1 or x.ndim < 1 or x.shape[-1] != np.shape(perm)[0]:
        raise ValueError(
            f"act needs one permutation (shape (|X|,)) and x with last axis |X|, "
            f"got shapes {np.shape(perm)} and {x.shape}"
        )
    return np.take(x, inverse(perm), axis=-1)


def orbits(action: Action) -> np.ndarray:
    """Orbit label of every point of X (labels 0..R-1 in order of first appearance).

    Union-find over the generators: the connected components of the graph p -- g_i . p.
    """
    n = action.size
    src = np.tile(np.arange(n), action.ngens)
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, action.perms.ravel())), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    return first_occurrence_labels(labels)


def first_occurrence_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel so that labels appear in increasing order of first occurrence (canonical)."""
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inv.ravel()]


def joint(*actions: Action) -> Action:
    """The action of G on the disjoint union X_1 ⊔ X_2 ⊔ ... (points concatenated)."""
    check_same_group(*actions)
    offsets = np.cumsum([0] + [a.size for a in actions])
    perms = np.concatenate([a.perms + off for a, off in zip(actions, offsets[:-1])], axis=1)
    return Action(actions[0].group, perms, "+".join(a.name for a in actions), actions[0].order)


def closure(action: Action, cap: int = MAX_GROUP_ORDER) -> np.ndarray:
    """All distinct permutations of X generated by the action's generators, shape (|image G|, |X|).

    Breadth-first closure under right multiplication by generators; the identity comes
    first. The result is the image of G in Sym(X) (equal to G when the action is
    faithful). Raises ValueError when more than ``cap`` elements are reached.
    """
    n = action.size
    gens = action.perms
    identity = np.arange(n, dtype=np.int64)
    seen = {identity.tobytes()}
    elements = [identity]
    frontier = [identity]
    while frontier:
        # all products (frontier element) o (generator), vectorised over the frontier
        block = np.stack(frontier)  # (F, n)
        products = block[:, gens].transpose(1, 0, 2).reshape(-1, n)  # h[g[p]] = (h g)[p]
        new = []
        for row in products:
            key = row.tobytes()
            if key not in seen:
                seen.add(key)
                new.append(row)
        if len(seen) > cap:
            raise ValueError(
                f"group {action.group!r} has more than {cap} elements on these {n} points; "
                f"enumeration is capped at {cap} (use random elements instead, or raise the cap)"
            )
        elements.extend(new)
        frontier = new
    return np.stack(elements)


def random_elements(action: Action, count: int, rng: np.random.Generator, length: int = 32) -> np.ndarray:
    """``count`` random group elements as permutations of X, shape (count, |X|).

    Each is a product of ``length`` generators or their inverses chosen uniformly (a
    random walk on the Cayley graph; for equivariance tests any element is as good as
    another, what matters is that input and output see the SAME element: apply this to
    :func:`joint` actions and split the columns).
    """
    if not isinstance(action, Action):
        raise ValueError(f"action must be an Action, got {type(action).__name__}")
    count = check_int("count", count, 0)
    length = check_int("length", length, 0)
    rng = check_generator("rng", rng)
    gens = np.concatenate([action.perms, inverse(action.perms)])
    picks = rng.integers(0, gens.shape[0], size=(count, length))
    out = np.broadcast_to(np.arange(action.size), (count, action.size)).copy()
    for step in range(length):
        out = np.take_along_axis(gens[picks[:, step]], out, axis=1)  # g o out
    return out
