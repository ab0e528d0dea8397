"""28x28 digit images for the Pensia experiment: real MNIST from IDX files, or (default,
offline) scikit-learn's bundled 8x8 digits upsampled to MNIST's format.

* ``read_idx(path)``: one IDX file (LeCun's format, optionally gzip-compressed): a big-endian
  header, magic 0x0000 0x08 ndim (unsigned bytes), ndim uint32 sizes, then the bytes.
  Every inconsistency (missing file, bad magic, wrong type or rank, size not matching the
  header, truncated gzip) is a one-line ValueError naming the file.
* ``mnist_data(directory)``: the standard four files train-images-idx3-ubyte,
  train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally
  with .gz), checked: 28x28 images, one label in 0..9 per image.
* ``upsampled_digits(seed)``: the 1,797 bundled digits, each 8x8 image (values 0..16)
  bilinearly resampled to 20x20 and centred in a 28x28 frame with a 4-pixel margin, as MNIST
  digits are, values scaled to [0, 1]; a stratified 75 / 25 split drawn from ``seed``.

Inputs are flattened to 784 one-point fields (N, 784, 1) and scaled to unit norm (the
theorem's ||x|| <= 1; a bias-free ReLU network is positively homogeneous, so predictions do
not change).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from .data import load_digits, stratified_split, unit_norm

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
SIDE = 28
#: bundled digits: 8x8 resampled to DIGIT_SIDE x DIGIT_SIDE, centred with this margin (MNIST: 20 + 2 * 4)
DIGIT_SIDE, MARGIN = 20, 4


def read_idx(path) -> np.ndarray:
    """The uint8 array stored in an IDX file (gzip-compressed when its name ends in .gz)."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (its first bytes are not the IDX magic 00 00 08 NDIM)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: IDX data type 0x{raw[2]:02x}, expected 0x08 (unsigned bytes)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = 4 + 4 * ndim + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(f"{path}: {len(raw)} bytes, but its header {shape} needs {expected} (truncated or corrupt)")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def idx_path(directory: Path, name: str) -> Path:
    """directory/name, or directory/name.gz when only that exists."""
    plain, packed = directory / name, directory / f"{name}.gz"
    return packed if packed.exists() and not plain.exists() else plain


def mnist_data(directory, seed: int = 0) -> dict:
    """Real MNIST from the four standard IDX files in ``directory`` (module docstring)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(
            f"--data {directory}: not a directory (it must hold the MNIST IDX files "
            f"{', '.join(IDX_FILES.values())}, optionally .gz)"
        )
    arrays = {key: read_idx(idx_path(directory, name)) for key, name in IDX_FILES.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        name = idx_path(directory, IDX_FILES[f"{part}_images"])
        if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
            raise ValueError(f"{name}: images of shape {images.shape[1:]}, expected ({SIDE}, {SIDE})")
        lname = idx_path(directory, IDX_FILES[f"{part}_labels"])
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(f"{lname}: {labels.shape} labels for {images.shape[0]} images in {name.name}")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{lname}: label {int(labels.max())} outside 0..9")
    return _fields(
        arrays["train_images"] / 255.0,
        arrays["train_labels"],
        arrays["test_images"] / 255.0,
        arrays["test_labels"],
        f"MNIST IDX files in {directory}",
    )


def upsample(images: np.ndarray, side: int = DIGIT_SIDE, margin: int = MARGIN) -> np.ndarray:
    """(N, h, w) -> (N, side + 2 margin, side + 2 margin): bilinear resampling of each image
    onto side x side (pixel centres aligned, edges clamped), zero margin around it."""
    n, h, w = images.shape
    out = np.zeros((n, side + 2 * margin, side + 2 * margin))
    ry, wy = _bilinear(h, side)
    rx, wx = _bilinear(w, side)
    rows = images[:, ry[0]] * wy[0][None, :, None] + images[:, ry[1]] * wy[1][None, :, None]
    out[:, margin : margin + side, margin : margin + side] = rows[:, :, rx[0]] * wx[0] + rows[:, :, rx[1]] * wx[1]
    return out


def _bilinear(n_in: int, n_out: int):
    """Source indices (lo, hi) and weights (1 - t, t) of each output pixel centre."""
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    t = pos - lo
    return (lo, hi), (1 - t, t)


def upsampled_digits(seed: int = 0, test_fraction: float = 0.25) -> dict:
    """The bundled 8x8 digits at 28x28 (module docstring), stratified split from ``seed``."""
    images, labels = load_digits()
    big = upsample(images / 16.0)
    tr, te = stratified_split(labels, test_fraction, np.random.default_rng([seed, 1]))
    return _fields(
        big[tr],
        labels[tr],
        big[te],
        labels[te],
        "sklearn.datasets.load_digits, 8x8 resampled bilinearly to 20x20 in a 28x28 frame",
    )


def _fields(train, y_train, test, y_test, source: str) -> dict:
    flat = lambda a: unit_norm(np.asarray(a, dtype=np.float64).reshape(len(a), -1, 1))
    return {
        "x_train": flat(train),
        "y_train": np.asarray(y_train, dtype=np.int64),
        "x_test": flat(test),
        "y_test": np.asarray(y_test, dtype=np.int64),
        "source": source,
    }
