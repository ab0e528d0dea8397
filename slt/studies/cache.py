"""On-disk cache of finished work, written atomically.

A cache entry is one JSON file named by a key: the SHA-256 of the study name, the
parameters (of a whole study or of one cell of it) and the code version (a hash of the
source files the result depends on, see :func:`code_version`). Changing a parameter or
the code gives a new key, so a stale result is never reused; an interrupted run finds
every entry written before the interruption and recomputes only the rest.

Writes go to a temporary file in the same directory, are flushed to disk, then renamed
over the final name with ``os.replace`` (atomic on POSIX): a reader sees either no entry
or a complete one, never a half-written file.

Every entry is ``{"meta": ..., "value": ..., "sha256": SHA-256 of the canonical JSON of
value}``. :meth:`Cache.get` validates it (JSON, the three keys, the checksum, and the
caller's shape check): an entry that fails is reported once (``Cache.problems``, one line
each) and treated as absent, so it is recomputed and overwritten, never used and never a
traceback. Output files are written only when their bytes change (:func:`write_if_changed`).
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from pathlib import Path

from ..jsonio import json_default

ROOT = Path(__file__).resolve().parents[2]

#: the packages whose source every study result depends on (plus the study's own module)
DEPENDENCIES = ("groups", "subsetsum", "constructions", "bounds")


def canonical(obj) -> str:
    """Deterministic JSON text of parameters (sorted keys, no whitespace variation)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=json_default, allow_nan=False)


@cache
def _tree_hash(paths: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        path = Path(p)
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and f.suffix in (".py", ".json") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f.name).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def code_version(*modules: str) -> str:
    """Hash of the source of the dependency packages and of the given modules' files."""
    import importlib

    paths = [str(ROOT / d) for d in DEPENDENCIES]
    missing = []
    for name in modules:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            missing.append(name)  # not written yet: part of the version (adding it changes the key)
            continue
        paths.append(str(Path(mod.__file__).resolve()))
    h = _tree_hash(tuple(paths))
    return h if not missing else hashlib.sha256((h + ",".join(missing)).encode()).hexdigest()[:16]


def key(study: str, params, version: str) -> str:
    """SHA-256 (hex) of the study name, its parameters and the code version."""
    return hashlib.sha256(canonical({"study": study, "params": params, "code": version}).encode()).hexdigest()


def checksum(value) -> str:
    """SHA-256 (hex) of the canonical JSON text of ``value`` (the checksum of a cache entry)."""
    return hashlib.sha256(canonical(value).encode()).hexdigest()


ENTRY_KEYS = {"meta", "value", "sha256"}


class Cache:
    """JSON entries under ``directory`` (created on first write). ``enabled=False`` turns
    it into a no-op (``--no-cache``). ``problems``: one line per invalid entry met."""

    def __init__(self, directory, enabled: bool = True):
        self.directory = Path(directory)
        self.enabled = enabled
        self.problems: list[str] = []

    def path(self, k: str) -> Path:
        return self.directory / f"{k}.json"

    def get(self, k: str, check=None):
        """The stored value, or None if absent or invalid: unreadable or not JSON, not an
        object with exactly the keys meta, value and sha256, a checksum that does not match
        the value (tampered or corrupt), or ``check(value)`` raising (KeyError, TypeError,
        ValueError: the wrong shape). An invalid entry is reported once and recomputed."""
        if not self.enabled:
            return None
        p = self.path(k)
        if not p.exists():
            return None
        try:
            entry = json.loads(p.read_text())
        except (OSError, ValueError) as exc:
            return self._invalid(k, f"not readable JSON ({type(exc).__name__})")
        if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
            keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            return self._invalid(k, f"wrong shape (expected an object with keys meta, sha256, value; got {keys})")
        try:
            intact = checksum(entry["value"]) == entry["sha256"]
        except (TypeError, ValueError):
            intact = False
        if not intact:
            return self._invalid(k, "checksum mismatch (the value was changed or corrupted)")
        if check is not None:
            try:
                check(entry["value"])
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                return self._invalid(k, f"wrong shape of the value ({type(exc).__name__}: {exc})")
        return entry["value"]

    def _invalid(self, k: str, reason: str):
        line = f"cache entry {self.path(k)} ignored and recomputed: {reason}"
        if line not in self.problems:
            self.problems.append(line)
        return None

    def __contains__(self, k: str) -> bool:
        return self.get(k) is not None

    def put(self, k: str, value, meta: dict | None = None) -> None:
        if not self.enabled:
            return
        value = json.loads(json.dumps(value, default=json_default, allow_nan=False))  # plain JSON types
        atomic_write_text(
            self.path(k),
            json.dumps(
                {"meta": meta or {}, "value": value, "sha256": checksum(value)},
                default=json_default,
                allow_nan=False,
                sort_keys=True,
            ),
        )


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file in the same directory + os.replace)."""
    atomic_write_bytes(path, text.encode())


def write_if_changed(path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless the file already holds exactly these
    bytes (then it is not touched: a cached rerun rewrites nothing); True if written."""
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return True


def file_sha256(path) -> str | None:
    """SHA-256 (hex) of a file's bytes, None if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def atomic_write_bytes(path, data: bytes) -> None:
    """``constructions.files.atomic_write`` of ``data``, creating the directory if needed."""
    from constructions import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda fh: fh.write(data))


def finite_or_none(x):
    """float(x) if finite, else None (JSON has no NaN/inf; tables show an empty cell)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None
