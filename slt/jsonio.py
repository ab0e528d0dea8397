"""JSON for NumPy results: one ``default`` hook shared by every writer in ``slt``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def json_default(obj):
    """``json.dumps(..., default=json_default)``: NumPy scalars and arrays, paths."""
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def to_jsonable(obj):
    """A deep copy of ``obj`` made of plain Python types (round trip through JSON)."""
    return json.loads(json.dumps(obj, default=json_default))
