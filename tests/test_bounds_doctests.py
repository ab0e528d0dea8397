"""The docstring examples of `bounds` run (they document the formulas with numbers)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["bounds.subset_sum", "bounds.theorem1", "bounds.theorem2", "bounds.closed_forms"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
