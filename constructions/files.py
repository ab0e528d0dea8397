"""Files the library writes and reads: atomic writes, output checks, safe ``.npz`` reading.

* :func:`atomic_write` writes through a temporary file in the destination's directory,
  flushed and fsync'ed, then ``os.replace``: a reader (or a process killed mid-write)
  sees the old file or the new one, never a truncated mix. A kill by SIGKILL can leave
  the hidden temporary ``.NAME.*.tmp`` behind; the destination is untouched.
* :func:`check_writable` (an output file) and :func:`check_output_dir` (an output
  directory) are called before a long computation so that an unwritable output path
  fails in a second, not after the work.
* :func:`read_npz` loads every array of an ``.npz`` (no pickles) and turns every way a
  file can be broken (missing, empty, not a zip, truncated, corrupt member) into one
  ``ValueError`` line naming the file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from groups import check_int, check_memory

#: longest file name (bytes) on the usual file systems (ext4, xfs, btrfs, tmpfs)
NAME_MAX = 255


def check_writable(path, what: str = "output file") -> Path:
    """Raise ValueError unless ``path`` can be (re)written: its directory exists, is a
    directory and accepts a new file, and ``path`` is not a directory."""
    p = Path(path)
    if str(path) == "" or p.name in ("", ".", ".."):
        raise ValueError(f"{what} {str(path)!r} is not a file name")
    if "\0" in str(path):
        raise ValueError(f"{what} {str(path)!r} contains a NUL byte")
    if str(path).endswith(("/", os.sep)):
        raise ValueError(f"{what} {str(path)!r} names a directory (it ends with '/'), not a file")
    longest = NAME_MAX - len(".") - len(".XXXXXXXX.tmp")  # atomic_write's temporary name
    if len(os.fsencode(p.name)) > longest:
        raise ValueError(
            f"{what} {str(path)!r}: the file name is {len(os.fsencode(p.name))} bytes long; at most {longest}"
        )
    if p.is_dir():
        raise ValueError(f"{what} {str(p)!r} is a directory, not a file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{what} {str(p)!r}: directory {str(parent)!r} does not exist")
    _probe(parent, f"{what} {str(p)!r}")
    return p


def _probe(directory: Path, what: str) -> None:
    """Create and remove a temporary file in ``directory``: ValueError if it cannot be written."""
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".slt-write-check.", suffix=".probe")
    except OSError as exc:
        raise ValueError(f"{what}: cannot write in directory {str(directory)!r} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def check_output_dir(path, what: str = "output directory", parents: bool = False) -> Path:
    """Raise ValueError unless ``path`` is (or can be created as) a directory that accepts new
    files: an existing directory must be writable; a missing one needs an existing, writable
    parent (any existing ancestor with ``parents=True``, for default paths). Nothing is created."""
    p = Path(path)
    if str(path) == "":
        raise ValueError(f"{what} '' is not a directory name")
    if p.exists():
        if not p.is_dir():
            raise ValueError(f"{what} {str(p)!r} exists and is not a directory")
        base = p
    else:
        base = p.parent if str(p.parent) else Path(".")
        while parents and not base.exists() and base != base.parent:
            base = base.parent
        if not base.exists():
            raise ValueError(f"{what} {str(p)!r}: directory {str(base)!r} does not exist (create it first)")
        if not base.is_dir():
            raise ValueError(f"{what} {str(p)!r}: {str(base)!r} is not a directory")
    _probe(base, f"{what} {str(p)!r}")
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write) -> Path:
    """Call ``write(fh)`` on a temporary binary file next to ``path``, then atomically
    replace ``path`` with it (permissions as for a new file: 0o666 minus the umask)."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p


def save_npz(path, arrays: dict, level: int = 1) -> Path:
    """An ``.npz`` (what ``np.savez_compressed`` writes, read by ``np.load``), written
    atomically (:func:`atomic_write`). ``level``: zlib level, 0 = stored; level 1 is about 2.5x
    faster than NumPy's default (6) for about 10 % more bytes on network weights."""
    level = check_int("level", level, 0, 9)

    def write(fh):
        method = zipfile.ZIP_DEFLATED if level else zipfile.ZIP_STORED
        with zipfile.ZipFile(fh, "w", method, compresslevel=level or None) as zf:
            for name, value in arrays.items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)

    return atomic_write(path, write)


_BROKEN = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, RuntimeError)


def read_npz(path, what: str = "file") -> dict:
    """Every array of the ``.npz`` at ``path`` as a dict (object arrays refused)."""
    p = Path(path)
    if str(path) == "":
        raise ValueError(f"cannot read {what} '': not a file name")
    if not p.exists():
        raise ValueError(f"cannot read {what} {str(p)!r}: no such file")
    if p.is_dir():
        raise ValueError(f"cannot read {what} {str(p)!r}: it is a directory")
    if not p.is_file() or (p.stat().st_size == 0 and _has_data(p)):
        raise ValueError(
            f"cannot read {what} {str(p)!r}: not a regular file (a device, pipe or /proc file); "
            f"an .npz archive must be a regular file"
        )
    if p.stat().st_size == 0:
        raise ValueError(f"cannot read {what} {str(p)!r}: the file is empty (0 bytes)")
    if not zipfile.is_zipfile(p):
        raise ValueError(
            f"cannot read {what} {str(p)!r}: not an .npz archive (not a zip file; truncated or another format)"
        )
    try:
        headers = _headers(p)
    except _BROKEN as exc:
        raise ValueError(
            f"cannot read {what} {str(p)!r}: corrupt or truncated .npz ({type(exc).__name__}: {exc})"
        ) from None
    _check_declared(p, headers, what)
    try:
        with np.load(p, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except _BROKEN as exc:
        raise ValueError(
            f"cannot read {what} {str(p)!r}: corrupt or truncated .npz ({type(exc).__name__}: {exc})"
        ) from None


def _has_data(path: Path) -> bool:
    """True if a file that stat reports as 0 bytes still gives data (procfs, sysfs)."""
    try:
        with open(path, "rb") as fh:
            return bool(fh.read(1))
    except OSError:
        return False


def _headers(path: Path) -> list:
    """(array name, shape, dtype, member's uncompressed bytes) of every ``.npy`` member, from
    the headers alone: nothing is allocated."""
    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename.endswith(".npy"):
                with zf.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read = np.lib.format.read_array_header_1_0
                    read = read if version == (1, 0) else np.lib.format.read_array_header_2_0
                    shape, _, dtype = read(member)
                out.append((info.filename[:-4], shape, dtype, info.file_size))
    return out


def _check_declared(path: Path, headers: list, what: str) -> None:
    """Refuse a member whose header declares more bytes than it holds (a corrupt or forged
    ``.npz``) and arrays that would not fit in memory, before anything is allocated."""
    total = 0
    for name, shape, dtype, size in headers:
        declared = math.prod(shape) * dtype.itemsize
        if declared > size:
            raise ValueError(
                f"cannot read {what} {str(path)!r}: array {name!r} declares shape {shape} of {dtype} "
                f"({declared:,} bytes) but its member holds {size:,} bytes (corrupt .npz)"
            )
        total += declared
    check_memory(total, f"the arrays of {what} {str(path)!r}", "it is too large to load here")


def read_meta(arrays: dict, path, what: str = "file") -> dict | None:
    """The JSON object stored in the array ``meta`` (None when absent)."""
    if "meta" not in arrays:
        return None
    raw = arrays["meta"]
    if raw.shape != () or raw.dtype.kind not in "US":
        raise ValueError(
            f"{what} {str(path)!r}: array 'meta' must be a JSON string, got {raw.dtype} of shape {raw.shape}"
        )
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} {str(path)!r}: array 'meta' is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{what} {str(path)!r}: 'meta' must be a JSON object, got {type(meta).__name__}")
    return meta


def _plain(obj):
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in the JSON metadata")


def meta_array(meta: dict) -> np.ndarray:
    """A JSON object as the 0-d string array ``meta`` of an ``.npz`` (NumPy values as Python ones)."""
    return np.array(json.dumps(meta, default=_plain))
