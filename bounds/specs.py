"""Field specs in `bounds`: validated by `groups` (the one validation, DESIGN.md).

`check_spec` and `check_compatible` are the names `bounds` has always offered; the closed
forms take the validated `groups.FieldType` objects they return.
"""

from __future__ import annotations

from groups import check_compatible, field_type

__all__ = ["check_compatible", "check_spec"]


def check_spec(spec) -> dict:
    """Validate one field spec (groups.field_type); returns it with its defaults written out."""
    return field_type(spec).to_spec()
