import importlib.util
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

#: runtime dependencies (pyproject.toml) every part of the suite needs
RUNTIME = ("numpy", "scipy", "sympy", "ortools", "matplotlib", "tqdm")


def pytest_configure(config):
    """Without the project's dependencies the suite cannot say anything: stop with the
    install command instead of hundreds of import errors."""
    missing = [m for m in RUNTIME if importlib.util.find_spec(m) is None]
    if missing:
        raise pytest.UsageError(
            f"missing runtime dependencies {', '.join(missing)} in {sys.executable}; "
            f'install the project first: python -m pip install -e ".[test]"'
        )


os.environ.setdefault("MPLBACKEND", "Agg")  # headless figures; read by matplotlib when first imported

# deterministic property tests: the same examples on every run and in CI
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")
