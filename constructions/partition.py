"""Closed form of the S_n orbital basis on k -> l tensors, indexed by set partitions.

An orbit of S_n on [n]^l x [n]^k is an equality pattern of the l + k indices
(i_1..i_l, j_1..j_k): a set partition pi of the l + k positions (outputs first) with
at most n blocks. The orbital ("exact pattern") basis element is
    E_pi[i, j] = 1 iff (i, j) has exactly the pattern pi.
Applying E_pi with einsum is awkward, but the "at least" operators
    A_sigma[i, j] = 1 iff positions in the same block of sigma carry equal indices
are one einsum each, and A_sigma = sum_{pi >= sigma} E_pi (pi coarser than sigma), so by
Möbius inversion on the partition lattice E_pi = sum_{sigma >= pi} mu(pi, sigma) A_sigma
with mu(pi, sigma) = prod_{blocks B of sigma} (-1)^(c_B - 1) (c_B - 1)!, c_B the number of
blocks of pi inside B. A layer sum_pi alpha_pi E_pi is applied as sum_sigma beta_sigma
A_sigma with beta = alpha Mu: never a dense n^l x n^k matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import factorial

import numpy as np

from groups import MAX_ORDER, check_int, check_memory

from .actions import Action
from .perm import tensor_action
from .protocol import Basis, input_orbit_from_counts, matrix_free_op_norm, row_sum_fan_in

#: largest number of set partitions listed (Bell(11) = 678570 < 10**6 < Bell(12))
MAX_PARTITIONS = 10**6
#: bytes one listed partition of ``size`` positions holds (a tuple of small ints)
PARTITION_BYTES = 64


def partition_count(size: int, max_blocks: int) -> int:
    """The number of set partitions of ``size`` positions with at most ``max_blocks`` blocks,
    sum_{j <= max_blocks} S(size, j) (Stirling numbers of the second kind, exact ints)."""
    row = [1] + [0] * max_blocks  # S(0, j)
    for _ in range(size):
        row = [0] + [j * row[j] + row[j - 1] for j in range(1, max_blocks + 1)]
    return sum(row)


def set_partitions(size: int, max_blocks: int) -> list[tuple[int, ...]]:
    """All set partitions of ``size`` positions with at most ``max_blocks`` blocks, as
    restricted growth strings (block labels in order of first appearance), in
    lexicographic order; at most :data:`MAX_PARTITIONS` of them.

    >>> set_partitions(3, 2)
    [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)]
    """
    size = check_int("size", size, 0, 64)
    max_blocks = check_int("max_blocks", max_blocks, 0)
    count = partition_count(size, min(max_blocks, size))
    if count > MAX_PARTITIONS:
        raise ValueError(
            f"set_partitions({size}, {max_blocks}) would list {count:,} set partitions, more than "
            f"{MAX_PARTITIONS:,}; use fewer positions (a smaller tensor order) or fewer blocks (a smaller n)"
        )
    out = []

    def extend(prefix, blocks):
        if len(prefix) == size:
            out.append(tuple(prefix))
            return
        for b in range(min(blocks + 1, max_blocks)):
            extend(prefix + [b], max(blocks, b + 1))

    extend([], 0)
    return out


def canonical(labels) -> tuple[int, ...]:
    """Restricted growth string of a labelling."""
    seen = {}
    return tuple(seen.setdefault(v, len(seen)) for v in labels)


def _digits(flat: np.ndarray, n: int, k: int) -> np.ndarray:
    """Multi-indices (k, len) of flat C-order indices into [n]^k."""
    flat = np.asarray(flat, dtype=np.int64).ravel()
    return np.array([(flat // n ** (k - 1 - t)) % n for t in range(k)], dtype=np.int64).reshape(k, flat.size)


def falling(n: int, j: int) -> int:
    out = 1
    for t in range(j):
        out *= n - t
    return out


def mobius_matrix(parts: list[tuple[int, ...]]) -> np.ndarray:
    """Mu[pi, sigma] = mu(pi, sigma) if pi refines sigma, else 0.

    The coarsenings of pi are the set partitions tau of pi's blocks; mu(pi, sigma) is
    prod over blocks of tau of (-1)^(c - 1) (c - 1)!, c the block's size.
    """
    index = {p: i for i, p in enumerate(parts)}
    mu = np.zeros((len(parts), len(parts)))
    for i, pi in enumerate(parts):
        nb = max(pi, default=-1) + 1
        for tau in set_partitions(nb, nb):
            sigma = canonical([tau[b] for b in pi])
            sizes = np.bincount(tau) if tau else []
            mu[i, index[sigma]] = np.prod([(-1) ** (c - 1) * factorial(c - 1) for c in sizes])
    return mu


@dataclass(frozen=True, eq=False)
class PartitionBasis:
    """Orbital basis of Hom_{S_n}(R^{[n]^k}, R^{[n]^l}) in closed form (module docstring);
    a :class:`~constructions.protocol.Basis`."""

    n: int
    k: int  # input order
    l: int  # output order
    parts: tuple  # restricted growth strings over l + k positions (outputs first)
    name: str = ""

    conv = None  # no translation structure

    @property
    def dim(self) -> int:
        return len(self.parts)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n**self.l, self.n**self.k

    @cached_property
    def action_in(self) -> Action:
        return tensor_action(self.n, self.k, "S")

    @cached_property
    def action_out(self) -> Action:
        return tensor_action(self.n, self.l, "S")

    @cached_property
    def mobius(self) -> np.ndarray:
        return mobius_matrix(list(self.parts))

    @cached_property
    def transposed(self) -> PartitionBasis:
        """The basis of Hom(R^{[n]^l}, R^{[n]^k}) whose element i is the transpose of element i."""
        swapped = tuple(canonical(p[self.l :] + p[: self.l]) for p in self.parts)
        return PartitionBasis(self.n, self.l, self.k, swapped, self.name + " (transposed)")

    # ------------------------------------------------------------------ structure
    @cached_property
    def counts(self) -> np.ndarray:
        """counts[q, r, pi] = #{x with pattern r : (y_q, x) has pattern pi}, y_q of pattern q.

        pi must restrict to q on the outputs and r on the inputs; the input-only blocks then
        take distinct values avoiding the |q| output values: (n - |q|)_(input-only blocks).
        """
        Q = set_partitions(self.l, self.n)
        R = set_partitions(self.k, self.n)
        qi = {q: i for i, q in enumerate(Q)}
        ri = {r: i for i, r in enumerate(R)}
        out = np.zeros((len(Q), len(R), self.dim), dtype=np.int64)
        for t, p in enumerate(self.parts):
            q, r = canonical(p[: self.l]), canonical(p[self.l :])
            out_blocks = set(p[: self.l])
            new = len(set(p[self.l :]) - out_blocks)
            out[qi[q], ri[r], t] = falling(self.n - len(out_blocks), new)
        return out

    def orbit_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """The S_n-orbit of [n]^k with equality pattern r has (n)_(blocks of r) points."""

        def sizes(order):
            return np.array([falling(self.n, max(p, default=-1) + 1) for p in set_partitions(order, self.n)])

        return sizes(self.l), sizes(self.k)

    def input_orbit(self) -> np.ndarray:
        return input_orbit_from_counts(self.counts)

    def diagonal_orbits(self) -> np.ndarray:
        """The pattern r + r (y = x) for each input pattern r of a k -> k basis."""
        if self.k != self.l:
            raise ValueError(f"diagonal orbitals need the same field type in and out, got orders {self.k} -> {self.l}")
        index = {p: i for i, p in enumerate(self.parts)}
        return np.array([index[canonical(r + r)] for r in set_partitions(self.k, self.n)])

    def hidden_basis(self) -> Basis:
        return partition_basis(self.n, self.k, self.k)

    def fan_in(self) -> float:
        return row_sum_fan_in(self)

    def op_norm(self, coeffs: np.ndarray, rng: np.random.Generator | None = None) -> float:
        return matrix_free_op_norm(self, coeffs, rng)

    def ids_of(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Orbit id (index into ``parts``) of the pairs (y, x) given as flat indices."""
        idx = np.concatenate([_digits(ys, self.n, self.l), _digits(xs, self.n, self.k)])
        N = self.l + self.k
        # first position carrying the same value, per position -> canonical key
        first = np.empty_like(idx)
        for t in range(N):
            eq = idx[: t + 1] == idx[t]
            first[t] = np.argmax(eq, axis=0)
        keys = (first * (N ** np.arange(N))[:, None]).sum(0)
        part_keys = np.array([sum(p.index(p[t]) * N**t for t in range(N)) for p in self.parts])
        order = np.argsort(part_keys)
        return order[np.searchsorted(part_keys[order], keys)]

    @cached_property
    def _coo(self):
        ny, nx = self.shape
        if ny * nx > 20_000_000:
            raise ValueError(
                f"the support of S_{self.n} {self.k}->{self.l} has {ny * nx:,} pairs; listing them is for small n only"
            )
        ys, xs = np.divmod(np.arange(ny * nx), nx)
        return ys, xs, self.ids_of(ys, xs)

    @property
    def rows(self) -> np.ndarray:
        """Support pairs (all of Y x X), orbit ids: the generic sparse form, small n only."""
        return self._coo[0]

    @property
    def cols(self) -> np.ndarray:
        return self._coo[1]

    @property
    def ids(self) -> np.ndarray:
        return self._coo[2]

    def dense_elements(self) -> np.ndarray:
        ny, nx = self.shape
        if self.dim * ny * nx > 50_000_000:
            raise ValueError(f"dense form would have {self.dim * ny * nx:,} entries; use apply()")
        out = np.zeros((self.dim, ny, nx))
        out[self.ids, self.rows, self.cols] = 1.0
        return out

    def dense(self, coeffs: np.ndarray) -> np.ndarray:
        n_in, n_out, _ = coeffs.shape
        ny, nx = self.shape
        E = self.dense_elements()
        return np.einsum("abk,kyx->byax", coeffs, E).reshape(n_out * ny, n_in * nx)

    # ------------------------------------------------------------------ engine
    def _at_least(self, sigma, x):
        """A_sigma applied to x of shape (B, n^k) -> (B, n^l)."""
        n, k, l = self.n, self.k, self.l
        B = x.shape[0]
        letters = "abcdefghijklmnop"
        xin = x.reshape((B,) + (n,) * k)
        in_blocks = sigma[l:]
        out_blocks = sigma[:l]
        kept = sorted(set(in_blocks) & set(out_blocks))
        sub_in = "Z" + "".join(letters[b] for b in in_blocks)
        sub_out = "Z" + "".join(letters[b] for b in kept)
        T = np.einsum(f"{sub_in}->{sub_out}", xin)  # (B, n, ..., n) over kept blocks
        if l == 0:
            return T.reshape(B, 1)
        grid = np.indices((n,) * l)
        firstpos = {b: out_blocks.index(b) for b in set(out_blocks)}
        if kept:
            vals = T[(slice(None),) + tuple(grid[firstpos[b]] for b in kept)]
        else:
            vals = T.reshape((B,) + (1,) * l)
        mask = np.ones((n,) * l, dtype=bool)
        for t, b in enumerate(out_blocks):
            if firstpos[b] != t:
                mask &= grid[t] == grid[firstpos[b]]
        vals = np.broadcast_to(vals, (B,) + (n,) * l) * mask
        return vals.reshape(B, n**l)

    def apply(self, coeffs: np.ndarray, x: np.ndarray) -> np.ndarray:
        batch, n_in, _ = x.shape
        n_out = coeffs.shape[1]
        beta = coeffs @ self.mobius  # (n_in, n_out, K) in the at-least basis
        out = np.zeros((batch, n_out, self.n**self.l), dtype=np.result_type(x, coeffs))
        for s, sigma in enumerate(self.parts):
            w = beta[:, :, s]
            if not np.any(w):
                continue
            if n_in <= n_out:
                a = self._at_least(sigma, x.reshape(batch * n_in, -1)).reshape(batch, n_in, -1)
                out += np.einsum("nay,ab->nby", a, w, optimize=True)
            else:
                mixed = np.einsum("nax,ab->nbx", x, w, optimize=True)
                out += self._at_least(sigma, mixed.reshape(batch * n_out, -1)).reshape(batch, n_out, -1)
        return out

    def apply_transpose(self, coeffs: np.ndarray, gy: np.ndarray) -> np.ndarray:
        return self.transposed.apply(coeffs.transpose(1, 0, 2), gy)

    def coeff_grad(self, x: np.ndarray, gy: np.ndarray) -> np.ndarray:
        batch, n_in, _ = x.shape
        flat = x.reshape(batch * n_in, -1)
        g_beta = np.stack(
            [
                np.einsum("nay,nby->ab", self._at_least(s, flat).reshape(batch, n_in, -1), gy, optimize=True)
                for s in self.parts
            ],
            axis=-1,
        )
        return g_beta @ self.mobius.T


def partition_bytes(n: int, k: int, l: int) -> int:
    """Memory of the closed-form S_n basis k -> l when it is used: the two tensor actions
    (3 order + 4 int64 arrays over [n]^order, :func:`~constructions.perm.tensor_action`), the
    listed set partitions (of the k + l, l and k positions, at most n blocks), and the larger
    of its dense tables, the counts (|R_l|, |R_k|, |B|) and the Möbius matrix (|B|, |B|)."""
    dim, outs, ins = (partition_count(size, min(n, size)) for size in (k + l, l, k))
    actions = 8 * ((3 * k + 4) * n**k + (3 * l + 4) * n**l)
    return actions + PARTITION_BYTES * (k + l + 1) * (dim + outs + ins) + 8 * dim * max(dim, outs * ins)


def partition_basis(n: int, k: int, l: int) -> PartitionBasis:
    """The S_n orbital basis from k-order to l-order tensors: set partitions of the l + k
    positions with at most n blocks (Bell(k + l) of them when n >= k + l); built once per
    (n, k, l), after its memory (:func:`partition_bytes`) is checked."""
    n, k, l = check_int("n", n, 1), check_int("order", k, 0, MAX_ORDER), check_int("order", l, 0, MAX_ORDER)
    check_memory(
        partition_bytes(n, k, l),
        f"the S_{n} basis order {k} -> {l} ({partition_count(k + l, min(n, k + l)):,} set partitions, "
        f"|X| = {n**k:,}, |Y| = {n**l:,})",
        "use a smaller n or tensor order",
    )
    return _partition_basis(n, k, l)


@lru_cache(maxsize=32)
def _partition_basis(n: int, k: int, l: int) -> PartitionBasis:
    return PartitionBasis(n, k, l, tuple(set_partitions(l + k, n)), f"S_{n} order {k}->{l}")
