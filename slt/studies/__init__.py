"""Studies of how tight the bounds are: each one a table and a figure.

1. ``subset_sum_curve``  random Subset-Sum: P(sup-error <= eps) and the best error vs n;
2. ``width_vs_eps``      theorem width vs measured smallest certified width vs lower bound;
3. ``error_vs_m``        network error (measured and certified) vs overparameterisation;
4. ``basis_sizes``       |B| and ||B|| per group and field type, orbital vs band-limited;
5. ``sparsity``          kept parameters vs eps, optimal-error vs minimum-cardinality masks.

Every study module defines NAME, TITLE, ``parameters(preset, seed)`` (presets ``tiny``
for tests, ``quick`` for CI, ``full`` for the committed reports), ``cells(params)`` (the
independent units of work, JSON-able), ``compute_cell(params, cell)``,
``assemble(params, results) -> [Table]``, ``figure(tables, width) -> Figure`` and
``summary(tables) -> {name: sentence}``; and ``run(preset="quick", seed=0)``, which
returns its tables and its figure. ``slt reproduce`` (``slt/cmd_reproduce.py``) runs them
all with caching, parallel cells and a progress bar (:mod:`slt.studies.runner`).
"""

from __future__ import annotations

import importlib

STUDIES = ("subset_sum_curve", "width_vs_eps", "error_vs_m", "basis_sizes", "sparsity")
#: what ``slt reproduce`` runs: the studies, then one row per end-to-end experiment (``slt experiment``)
ALL = STUDIES + ("experiments",)
MODULES = {**{s: s for s in STUDIES}, "experiments": "experiments_summary"}
PRESETS = ("tiny", "quick", "full")


def load(name: str):
    """The module of study ``name`` (one of ``ALL``)."""
    if name not in MODULES:
        raise ValueError(f"unknown study {name!r}: choose from {', '.join(ALL)}")
    return importlib.import_module(f"slt.studies.{MODULES[name]}")


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {PRESETS}, got {preset!r}")
    return preset


__all__ = ["ALL", "STUDIES", "PRESETS", "load", "check_preset"]
