"""Checking equivariance: f(rho_X(g) x) = rho_Y(g) f(x), element by element (e3nn style).

For a batch of inputs x and each group element g (applied with :func:`actions.act`),

    error(g) = || f(rho_X(g) x) - rho_Y(g) f(x) || / || f(x) ||

(Frobenius norms over the whole batch), computed in float64 whatever the dtype ``f``
runs in. The checker returns every error(g) together with the element it belongs to
(its index and a word in the generators), so a failure names the element that breaks
the symmetry. Tolerances by dtype are in :data:`TOLERANCE`.

Group elements are all of them when the group has at most ``max_all`` elements on
X ⊔ Y (words: shortest products of generators, identity "e"), else ``count`` random
ones (random walks on the generators and their inverses; the word is the walk).
Generators of lattice groups Z_m^2 ⋊ H are named t1, t2 (unit translations), r, s
(rotation, reflection); other generators g1, g2, ...

>>> from constructions import lattice_action, orbital_basis, Layer
>>> import numpy as np
>>> act = lattice_action(3, "C4", "regular")
>>> basis = orbital_basis(act, act)
>>> layer = Layer(basis, np.random.default_rng(0).uniform(-1, 1, (1, 1, basis.dim)))
>>> errs = network_equivariance_errors(layer)
>>> errs.errors.size, errs.elements.names[:4], bool(errs.max < 1e-12)
(36, ('e', 't1', 't2', 'r'), True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from groups import check_memory, check_real

from .actions import Action, act, closure, inverse, joint

#: largest acceptable relative error, by the dtype the checked function computes in
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
#: relative errors are taken against max(||f(x)||, TINY)
TINY = np.finfo(np.float64).tiny
_LATTICE_GROUP = re.compile(r"Z[0-9]+\^2x[CD][0-9]+")


@dataclass(frozen=True)
class GroupElements:
    """Group elements as permutations of X (``on_x``, (k, |X|)) and of Y (``on_y``), the
    word of each (generator indices, ``~i`` for the inverse of generator i, leftmost
    factor first) and its readable name."""

    on_x: np.ndarray
    on_y: np.ndarray
    words: tuple
    names: tuple
    exhaustive: bool


@dataclass(frozen=True)
class EquivarianceErrors:
    """Relative error of every checked group element (``errors[i]`` for ``elements``' i-th)."""

    errors: np.ndarray
    elements: GroupElements

    @property
    def max(self) -> float:
        return float(self.errors.max(initial=0.0))

    @property
    def worst(self) -> int:
        """Index of the element with the largest error."""
        return int(np.argmax(self.errors))

    def describe(self, i: int) -> str:
        return f"element {i} ({self.elements.names[i]})"

    def __float__(self) -> float:
        return self.max


def generator_names(action: Action) -> list[str]:
    """Readable generator names: t1 t2 r s for Z_m^2 ⋊ H (``lattice_action``'s order), else g1 g2 ..."""
    if _LATTICE_GROUP.fullmatch(action.group):
        return ["t1", "t2", "r", "s"][: action.ngens]
    return [f"g{i + 1}" for i in range(action.ngens)]


def word_name(word, names) -> str:
    """Name of a word: inverse pairs cancelled, runs as powers.

    >>> word_name((2, 2, 0, ~0, 3), ["t1", "t2", "r", "s"])
    'r^2 s'
    >>> word_name((~1, ~1), ["a", "b"]), word_name((), ["a"])
    ('b^-2', 'e')
    """
    reduced = []
    for letter in word:
        if reduced and reduced[-1] == ~letter:
            reduced.pop()
        else:
            reduced.append(letter)
    parts = []
    for letter in reduced:
        base, sign = (letter, 1) if letter >= 0 else (~letter, -1)
        if parts and parts[-1][0] == base and np.sign(parts[-1][1]) == sign:
            parts[-1][1] += sign
        else:
            parts.append([base, sign])
    return " ".join(names[b] + ("" if p == 1 else f"^{p}") for b, p in parts) or "e"


def shortest_words(elements: np.ndarray, gens: np.ndarray) -> list[tuple]:
    """Shortest word of every element of a finite group given as permutations (identity
    first, as :func:`actions.closure` returns them): breadth-first over right
    multiplication by the generators, (h g)[p] = h[g[p]]."""
    index = {e.tobytes(): i for i, e in enumerate(elements)}
    words = [None] * len(elements)
    words[0] = ()
    queue = [0]
    for i in queue:
        for g in range(gens.shape[0]):
            j = index[elements[i][gens[g]].tobytes()]
            if words[j] is None:
                words[j] = words[i] + (g,)
                queue.append(j)
    return words


def random_walks(action: Action, count: int, rng: np.random.Generator, length: int = 32):
    """``count`` random elements as products of ``length`` random generators or inverses:
    (permutations (count, |X|), words). The same draws and elements as
    :func:`actions.random_elements` with the same generator."""
    gens = np.concatenate([action.perms, inverse(action.perms)])
    picks = rng.integers(0, gens.shape[0], size=(count, length))
    out = np.broadcast_to(np.arange(action.size), (count, action.size)).copy()
    for step in range(length):
        out = np.take_along_axis(gens[picks[:, step]], out, axis=1)  # g o out
    letters = np.where(picks < action.ngens, picks, ~(picks - action.ngens))
    return out, [tuple(int(v) for v in row[::-1]) for row in letters]


def group_elements(
    action_in: Action, action_out: Action, rng: np.random.Generator, count: int = 16, max_all: int = 256
) -> GroupElements:
    """All group elements when the group has at most ``max_all`` elements on X ⊔ Y, else
    ``count`` random ones (only the random case draws from ``rng``)."""
    both = joint(action_in, action_out)
    elems = None
    if both.order is None or both.order <= max_all:
        try:
            elems = closure(both, cap=max_all)
        except ValueError:
            elems = None
    if elems is not None:
        words, exhaustive = shortest_words(elems, both.perms), True
    else:
        # the walks hold about 3 (count, |X| + |Y|) int64 arrays at once
        check_memory(
            24 * count * both.size,
            f"{count} random group elements as permutations of |X| + |Y| = {both.size:,} points",
            "check fewer elements",
        )
        elems, words = random_walks(both, count, rng)
        exhaustive = False
    names = generator_names(action_in)
    return GroupElements(
        elems[:, : action_in.size],
        elems[:, action_in.size :] - action_in.size,
        tuple(words),
        tuple(word_name(w, names) for w in words),
        exhaustive,
    )


def equivariance_errors(fn, x: np.ndarray, elements: GroupElements, fx: np.ndarray | None = None) -> EquivarianceErrors:
    """error(g) of the module docstring for every element; ``x`` (batch, n_in, |X|) in the
    dtype ``fn`` should run in; ``fx`` = fn(x) if already computed."""
    fx = fn(x) if fx is None else fx
    ref = np.asarray(fx, dtype=np.float64)
    scale = max(float(np.linalg.norm(ref)), TINY)
    errors = np.empty(elements.on_x.shape[0])
    for i, (px, py) in enumerate(zip(elements.on_x, elements.on_y)):
        lhs = np.asarray(fn(act(px, x)), dtype=np.float64)
        errors[i] = float(np.linalg.norm(lhs - act(py, ref))) / scale
    return EquivarianceErrors(errors, elements)


def _as_layers(obj):
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def network_equivariance_errors(
    layers,
    *,
    rng: np.random.Generator | None = None,
    batch: int = 3,
    count: int = 16,
    dtype=np.float64,
    max_all: int = 256,
) -> EquivarianceErrors:
    """Per-element errors of a layer or a list of layers (composed with ReLU) on ``batch``
    standard normal inputs (elements drawn first, then the inputs, from ``rng``)."""
    from .network import forward

    layers = _as_layers(layers)
    if not layers:
        raise ValueError("layers must be a Layer or a non-empty list of Layers, got an empty list")
    return check_equivariance(
        lambda x: forward(layers, x),
        layers[0].basis.action_in,
        layers[-1].basis.action_out,
        layers[0].n_in,
        rng=rng,
        batch=batch,
        count=count,
        dtype=dtype,
        max_all=max_all,
    )


def check_equivariance(
    fn,
    action_in: Action,
    action_out: Action,
    n_fields_in: int,
    *,
    rng: np.random.Generator | None = None,
    batch: int = 3,
    count: int = 16,
    dtype=np.float64,
    max_all: int = 256,
) -> EquivarianceErrors:
    """Per-element errors of ``fn``: (batch, n_in, |X|) -> (batch, n_out, |Y|), on standard
    normal inputs cast to ``dtype``."""
    rng = rng or np.random.default_rng(0)
    check_memory(
        32 * batch * n_fields_in * (action_in.size + action_out.size),
        f"the equivariance check ({batch} inputs of {n_fields_in} fields of {action_in.size:,} points)",
        "use fewer fields or a smaller group action",
    )
    elements = group_elements(action_in, action_out, rng, count=count, max_all=max_all)
    x = rng.standard_normal((batch, n_fields_in, action_in.size)).astype(dtype)
    return equivariance_errors(fn, x, elements)


def equivariance_error(fn, action_in: Action, action_out: Action, n_fields_in: int, **kw) -> float:
    """Max relative equivariance error of ``fn`` (:func:`check_equivariance`'s largest)."""
    return check_equivariance(fn, action_in, action_out, n_fields_in, **kw).max


def network_equivariance_error(layers, **kw) -> float:
    """Max relative equivariance error of a layer or a list of layers (composed with ReLU)."""
    return network_equivariance_errors(layers, **kw).max


def assert_equivariant(layers, tol: float | None = None, **kw) -> EquivarianceErrors:
    """Raise AssertionError naming the worst group element if an error exceeds ``tol``
    (default: the dtype's entry of TOLERANCE); returns the per-element errors."""
    tol = None if tol is None else check_real("tol", tol, 0, None)
    errs = network_equivariance_errors(layers, **kw)
    limit = TOLERANCE[np.dtype(kw.get("dtype", np.float64))] if tol is None else tol
    bad = np.flatnonzero(~(errs.errors <= limit))
    if bad.size:
        i = errs.worst
        raise AssertionError(
            f"not equivariant: {bad.size} of {errs.errors.size} group elements exceed the "
            f"tolerance {limit:.1e}; worst {errs.describe(i)}: relative error {errs.errors[i]:.3e}"
        )
    return errs
