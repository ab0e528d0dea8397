"""Data for the experiments, all offline and seeded.

* Digits: scikit-learn's bundled 8x8 handwritten digits (1,797 images, shipped inside the
  package, no download). Stratified train/test split; training images upright; each test
  image turned by a random multiple of 90 degrees (and, for D4, reflected with probability
  1/2). Inputs are (N, 1, 64) trivial fields on the 8x8 torus (row-major pixels, DESIGN.md).
* Graphs: random graphs with n = 8..12 nodes from four generators (Erdős–Rényi,
  Watts–Strogatz, Barabási–Albert, random geometric), labelled exactly by their number of
  triangles trace(A^3)/6, binned into classes.

Every input is scaled to unit Euclidean norm (the theorem's ||x|| <= 1). A bias-free ReLU
network is positively homogeneous, f(c x) = c f(x) for c > 0, so this never changes a
prediction.
"""

from __future__ import annotations

import importlib

import numpy as np

INSTALL_HINT = 'python -m pip install -e ".[experiments]"'

#: triangle-count classes: [0, 3], [4, 10], [11, inf)
TRIANGLE_BINS = (3, 10)
GENERATORS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "geometric")


# ---------------------------------------------------------------------- digits
def require_sklearn():
    """The sklearn.datasets module, or a ValueError with the install command."""
    try:
        return importlib.import_module("sklearn.datasets")
    except ImportError as exc:
        raise ValueError(
            f"the digits experiment needs scikit-learn (its bundled 8x8 digits data set), "
            f"which is not installed ({exc}); install it with: {INSTALL_HINT}"
        ) from None


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) float64 in [0, 16], labels (1797,) int64)."""
    data = require_sklearn().load_digits()
    return np.asarray(data.images, dtype=np.float64), np.asarray(data.target, dtype=np.int64)


def stratified_split(labels: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """(train indices, test indices), each class split in the same proportion."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test fraction must be in (0, 1), got {test_fraction}")
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.nonzero(labels == c)[0])
        k = int(round(test_fraction * idx.size))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def orient(images: np.ndarray, turns: np.ndarray, flips: np.ndarray) -> np.ndarray:
    """Image t rotated by turns[t] * 90 degrees counter-clockwise (np.rot90), after a
    reflection across the vertical axis if flips[t]. images: (N, h, w)."""
    images = np.asarray(images)
    turns = np.asarray(turns) % 4
    flips = np.asarray(flips, dtype=bool)
    if images.ndim != 3 or turns.shape != (images.shape[0],) or flips.shape != (images.shape[0],):
        raise ValueError(
            f"need images (N, h, w) and turns/flips of shape (N,), got {images.shape}, {turns.shape}, {flips.shape}"
        )
    out = np.where(flips[:, None, None], images[:, :, ::-1], images)
    result = out.copy()
    for k in (1, 2, 3):
        sel = turns == k
        if np.any(sel):
            result[sel] = np.rot90(out[sel], k, axes=(1, 2))
    return result


def unit_norm(x: np.ndarray) -> np.ndarray:
    """Scale each input (first axis) to Euclidean norm 1 (zero inputs stay zero)."""
    norms = np.sqrt(np.sum(x.reshape(x.shape[0], -1) ** 2, axis=1))
    norms = np.where(norms > 0, norms, 1.0)
    return x / norms.reshape((-1,) + (1,) * (x.ndim - 1))


def as_field(images: np.ndarray) -> np.ndarray:
    """(N, 8, 8) images -> unit-norm trivial fields (N, 1, 64)."""
    return unit_norm(images.reshape(images.shape[0], 1, -1).astype(np.float64))


def digits_data(seed: int, test_fraction: float = 0.25, limit: int | None = None) -> dict:
    """Train (upright) and test sets of the digits, with test orientations drawn from ``seed``.

    Returns images_train, y_train, images_test (upright), y_test, turns, flips and the
    fields x_train, x_test_upright, x_test_rot (rotated only: the C4 test), x_test_rotflip
    (rotated and reflected: the D4 test). ``limit`` keeps a stratified subset (quick runs).
    """
    rng = np.random.default_rng([seed, 1])
    images, labels = load_digits()
    if limit is not None and limit < labels.size:
        keep, _ = stratified_split(labels, 1 - limit / labels.size, rng)
        images, labels = images[keep], labels[keep]
    tr, te = stratified_split(labels, test_fraction, rng)
    turns = rng.integers(0, 4, size=te.size)
    flips = rng.random(te.size) < 0.5
    test = images[te]
    return {
        "images_train": images[tr],
        "y_train": labels[tr],
        "images_test": test,
        "y_test": labels[te],
        "turns": turns,
        "flips": flips,
        "x_train": as_field(images[tr]),
        "x_test_upright": as_field(test),
        "x_test_rot": as_field(orient(test, turns, np.zeros(te.size, dtype=bool))),
        "x_test_rotflip": as_field(orient(test, turns, flips)),
    }


# ---------------------------------------------------------------------- graphs
def _symmetric(upper: np.ndarray) -> np.ndarray:
    A = np.triu(upper.astype(np.int64), 1)
    return A + A.T


def erdos_renyi(n: int, rng: np.random.Generator) -> np.ndarray:
    p = rng.uniform(0.15, 0.55)
    return _symmetric(rng.random((n, n)) < p)


def watts_strogatz(n: int, rng: np.random.Generator) -> np.ndarray:
    """Ring lattice with k/2 neighbours each side, each edge rewired with probability beta."""
    k = int(rng.choice([2, 4]))
    beta = rng.uniform(0.0, 0.5)
    A = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for d in range(1, k // 2 + 1):
            j = (i + d) % n
            if rng.random() < beta:
                free = np.nonzero((A[i] == 0) & (np.arange(n) != i))[0]
                if free.size:
                    j = int(rng.choice(free))
            A[i, j] = A[j, i] = 1
    return A


def barabasi_albert(n: int, rng: np.random.Generator) -> np.ndarray:
    """Preferential attachment: start from a clique on m0 + 1 nodes, each new node links to
    m0 distinct existing nodes with probability proportional to degree."""
    m0 = int(rng.integers(1, 4))
    A = np.zeros((n, n), dtype=np.int64)
    A[: m0 + 1, : m0 + 1] = 1 - np.eye(m0 + 1, dtype=np.int64)
    for v in range(m0 + 1, n):
        deg = A[:v, :v].sum(1).astype(np.float64)
        targets = rng.choice(v, size=m0, replace=False, p=deg / deg.sum())
        A[v, targets] = A[targets, v] = 1
    return A


def geometric(n: int, rng: np.random.Generator) -> np.ndarray:
    """Random geometric graph: uniform points in the unit square, edges below radius r."""
    r = rng.uniform(0.3, 0.6)
    pts = rng.random((n, 2))
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    return _symmetric(d < r)


def triangles(A: np.ndarray) -> int:
    """Exact number of triangles, trace(A^3) / 6, in integer arithmetic."""
    A = np.asarray(A, dtype=np.int64)
    return int(np.trace(A @ A @ A)) // 6


def triangle_class(count: int, bins=TRIANGLE_BINS) -> int:
    return int(np.searchsorted(np.asarray(bins), count, side="left"))


def graph_data(count: int, seed: int, n_range=(8, 12), test_fraction: float = 0.25) -> dict:
    """``count`` random graphs (generator and size drawn uniformly), relabelled by a random
    permutation, with exact triangle counts and classes; a stratified train/test split.

    Returns adjacency (list of int arrays), n (sizes), triangles, y (classes), generator
    (names), train / test (indices).
    """
    if not isinstance(count, (int, np.integer)) or count < 8:
        raise ValueError(f"the graph data set needs at least 8 graphs, got {count!r}")
    lo, hi = n_range
    if not 4 <= lo <= hi:
        raise ValueError(f"graph sizes must satisfy 4 <= min <= max, got {n_range}")
    rng = np.random.default_rng([seed, 2])
    makers = {
        "erdos_renyi": erdos_renyi,
        "watts_strogatz": watts_strogatz,
        "barabasi_albert": barabasi_albert,
        "geometric": geometric,
    }
    graphs, sizes, kinds = [], [], []
    for _ in range(count):
        n = int(rng.integers(lo, hi + 1))
        kind = GENERATORS[int(rng.integers(len(GENERATORS)))]
        A = makers[kind](n, rng)
        perm = rng.permutation(n)
        graphs.append(A[np.ix_(perm, perm)])
        sizes.append(n)
        kinds.append(kind)
    tri = np.array([triangles(A) for A in graphs])
    y = np.array([triangle_class(t) for t in tri])
    train, test = stratified_split(y, test_fraction, rng)
    return {
        "adjacency": graphs,
        "n": np.array(sizes),
        "triangles": tri,
        "y": y,
        "generator": np.array(kinds),
        "train": train,
        "test": test,
        "n_max": hi,
    }


def ign_inputs(graphs) -> list[np.ndarray]:
    """Per graph, the 2-tensor input (2, n*n): channels [A, I], scaled to unit norm."""
    out = []
    for A in graphs:
        n = A.shape[0]
        x = np.stack([np.asarray(A, dtype=np.float64), np.eye(n)]).reshape(1, 2, n * n)
        out.append(unit_norm(x)[0])
    return out


def mpnn_inputs(graphs, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Padded adjacency (N, n_max, n_max) and node features (N, 1, n_max): one channel, 1 on
    the real nodes and 0 on padding, scaled to unit norm (padded nodes stay zero in a
    bias-free message-passing network, so padding changes nothing)."""
    N = len(graphs)
    A = np.zeros((N, n_max, n_max))
    x = np.zeros((N, 1, n_max))
    for t, G in enumerate(graphs):
        n = G.shape[0]
        if n > n_max:
            raise ValueError(f"graph {t} has {n} nodes, more than n_max = {n_max}")
        A[t, :n, :n] = G
        x[t, 0, :n] = 1.0
    return A, unit_norm(x)
