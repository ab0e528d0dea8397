"""Narrower random networks as prefixes of one wide draw (THEORY §3, §6).

The random network of Theorem 1 with m samples per input field has, for each input field
a, a block J_a of m intermediate fields. Drawing it once with M >= m samples and keeping
the first m fields of every block (the lambda columns of layer 2i-1 and the mu rows of
layer 2i) gives the network with m samples, coupled across m: its Subset-Sum instances
are prefixes of the wide draw's, so the certified error is nonincreasing in m and the
smallest certified m is well defined.
"""

from __future__ import annotations

import numpy as np

from .network import Layer


def prefix_network(random_layers, target, m: int) -> list[Layer]:
    """The random network with ``m`` samples per input field taken as the prefix of a wider
    draw: for each block J_a keep its first m intermediate fields (lambda columns, mu rows).

    >>> from constructions import basis_from_specs, random_network, overparameterize
    >>> b = basis_from_specs({"family": "mlp"}, {"family": "mlp"})
    >>> target = random_network([b], [2, 1], np.random.default_rng(0))
    >>> wide = overparameterize(target, 5, seed=1)
    >>> [layer.coeffs.shape for layer in prefix_network(wide, target, 3)]
    [(2, 6, 1), (6, 1, 1)]
    """
    out = []
    for i, layer in enumerate(target):
        first, second = random_layers[2 * i], random_layers[2 * i + 1]
        M = first.n_out // layer.n_in
        if m > M:
            raise ValueError(f"m = {m} exceeds the drawn width {M} per input field")
        j = (np.arange(layer.n_in)[:, None] * M + np.arange(m)[None, :]).ravel()
        out.append(Layer(first.basis, first.coeffs[:, j, :]))
        out.append(Layer(second.basis, second.coeffs[j, :, :]))
    return out
