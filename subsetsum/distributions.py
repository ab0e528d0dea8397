"""Sample distributions of random Subset-Sum used by the theory (THEORY §3).

Each sampler is ``f(rng: numpy.random.Generator, shape) -> float64 array`` and is
deterministic given the Generator's state.

* ``uniform``: X ~ U[-1, 1] (Lueker 1998).
* ``product``: X = U V with U ~ U[0, 1], V ~ U[-1, 1] independent: the coefficient of the
  two-layer construction, mu * lambda^+. Its law equals that of the product of two
  independent U[-1, 1] variables (|U'| ~ U[0,1] and sign(U') V' ~ U[-1,1] are
  independent); density f(x) = ½ ln(1/|x|) on [-1, 1].
* ``pensia``: D = ½ δ_0 + ½ Law(UV) (Pensia et al. 2020, Cor. 1): a product sample, zeroed
  with probability ½ (the ReLU of the wrong sign). D contains U[-½, ½] with probability
  ln(2)/4.
"""

from __future__ import annotations

import math

import numpy as np

from groups import check_int, check_memory


def uniform(rng: np.random.Generator, shape) -> np.ndarray:
    """X ~ U[-1, 1]."""
    return rng.uniform(-1.0, 1.0, size=shape)


def product(rng: np.random.Generator, shape) -> np.ndarray:
    """X = U V, U ~ U[0, 1], V ~ U[-1, 1] (same law as the product of two U[-1, 1])."""
    u = rng.uniform(0.0, 1.0, size=shape)
    v = rng.uniform(-1.0, 1.0, size=shape)
    return u * v


def pensia(rng: np.random.Generator, shape) -> np.ndarray:
    """X ~ D = ½ δ_0 + ½ Law(UV): X = B U V with B ~ Bernoulli(½) independent."""
    x = product(rng, shape)
    keep = rng.random(size=shape) < 0.5
    return np.where(keep, x, 0.0)


SAMPLERS = {"uniform": uniform, "product": product, "pensia": pensia}


def draw(name: str, shape, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Samples of the named distribution from ``numpy.random.default_rng(seed)``."""
    if not isinstance(name, str) or name not in SAMPLERS:
        raise ValueError(f"distribution must be one of {', '.join(SAMPLERS)}, got {name!r}")
    dims = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    dims = tuple(check_int(f"shape[{i}]", d, 0) for i, d in enumerate(dims))
    # a sampler holds up to 3 float64 arrays of the shape at once (pensia: U V, the coin, the result)
    check_memory(3 * 8 * math.prod(dims), f"{math.prod(dims):,} samples of the {name} distribution")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(check_int("seed", seed, 0))
    return SAMPLERS[name](rng, dims)
