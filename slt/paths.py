"""Output paths that must not replace what the command reads.

``slt prune --target t.npz --save t.npz``, ``slt import-weights w.npz --out w.npz`` and
``slt export p.npz --out p.npz`` would overwrite their own input (atomically, so silently):
``check_not_input`` refuses such an output before any work.
"""

from __future__ import annotations

import os


def check_not_input(flag: str, out, inputs: dict) -> None:
    """ValueError if the output ``out`` (given by ``flag``) is the same file as one of
    ``inputs`` ({description: path}); paths that do not exist yet cannot be."""
    if out is None or not os.path.exists(out):
        return
    for what, path in inputs.items():
        if path is not None and os.path.exists(path) and os.path.samefile(out, path):
            raise ValueError(f"{flag} {str(out)!r} is the {what} {str(path)!r}: writing it would replace the input")
