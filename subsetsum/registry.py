"""The registry of Subset-Sum methods: ``METHODS[name]`` -> ``Method``.

A method is defined in the module that implements it, as a module-level constant

    METHOD = Method(name, run, summary, needs_eps)

with ``run(samples (P, n), targets (P,), eps, options: Options) -> Answer``. Every module
of the ``subsetsum`` package is scanned once, on first import, for a ``METHOD``: adding
a method touches its own module (and its test) only; ``solve`` and the command line
(``slt subsetsum --method``, ``slt bench subsetsum``, ``slt prune --method``) read their
choices from ``METHODS``. The samplers' registry is ``distributions.SAMPLERS``.

Every ``run`` is row-separable: the answer of problem p depends on row p, its target, eps
and the options only (``run`` on rows[s:t] gives rows s..t-1 of ``run`` on all rows, bit
for bit), so a batch may be cut into row chunks and solved anywhere (threads, or the
tasks of any ``concurrent.futures.Executor``: ``solve(..., executor=...)``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Options(NamedTuple):
    """The keyword options of ``solve``, as every method receives them."""

    time_limit: float | None = None
    workers: int = 1
    seed: int = 0
    min_cardinality: bool = False
    adaptive: bool = True
    on_cap: str = "raise"


class Answer(NamedTuple):
    """A method's answer: masks (P, n) bool over the original columns, status (P,),
    n_used (P,), and (cpsat/milp) slack (P,) and the backend's own status words."""

    masks: np.ndarray
    status: np.ndarray
    n_used: np.ndarray
    slack: np.ndarray | None = None
    backend_status: np.ndarray | None = None


@dataclass(frozen=True)
class Method:
    """One Subset-Sum method: ``name`` (the ``method=`` string), ``run`` (see the module
    docstring), ``summary`` (one line for help texts), ``needs_eps`` (refuses eps=None)."""

    name: str
    run: Callable[..., Answer]
    summary: str
    needs_eps: bool = False


def _discover(package: str = __name__.rpartition(".")[0]) -> dict[str, Method]:
    """{name: Method} of every ``METHOD`` in the modules of ``package`` (this one), by name."""
    found: dict[str, Method] = {}
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        entry = getattr(module, "METHOD", None)
        if isinstance(entry, Method):
            if entry.name in found:
                raise RuntimeError(f"two Subset-Sum methods named {entry.name!r}")
            found[entry.name] = entry
    return dict(sorted(found.items()))


def check_method(method) -> Method:
    """The registered ``Method`` named ``method`` (one-line ValueError otherwise)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    return METHODS[method]


# last: the scanned modules import Options, Answer and Method from this module
METHODS: dict[str, Method] = _discover()
