"""Subgroups of S_n acting on k-order tensors R^{n^k} (X = [n]^k, flattened in C order).

The subgroup and its generators come from :mod:`groups` (S, A, C, D or 1-based cycle
notation, DESIGN.md). A permutation sigma of [n] acts on a multi-index by
(sigma . i)_t = sigma(i_t).
"""

from __future__ import annotations

import numpy as np

from groups import check_memory, field_type, subgroup_generators

from .actions import Action


def tensor_action(n: int, order: int, subgroup: str = "S") -> Action:
    """The subgroup of S_n acting on [n]^order (order 0: one point)."""
    ft = field_type({"family": "perm", "n": n, "order": order, "subgroup": subgroup})
    n, k = ft.n, ft.order
    check_memory(
        8 * (3 * k + 4) * n**k,  # the multi-indices, their images, the generators' permutations
        f"the action of S_{n} on order-{k} tensors (|X| = {n}^{k} = {n**k:,} points)",
        "use a smaller n or tensor order",
    )
    gens, name, size = subgroup_generators(n, ft.subgroup)
    if k == 0:
        return Action(name, np.zeros((gens.shape[0], 1), dtype=np.int64), "order-0 tensor (invariant)", size)
    idx = np.indices((n,) * k).reshape(k, -1)  # (k, n^k) multi-indices
    weights = n ** np.arange(k - 1, -1, -1)
    perms = np.stack([(g[idx] * weights[:, None]).sum(0) for g in gens])
    return Action(name, perms, f"order-{k} tensor of {name}", size)
