"""Random Subset-Sum for pruning constructions (THEORY §3 and §5).

Given samples a_1..a_n and a target z, find S minimising |z - sum_{i in S} a_i|: one such
problem per (input field, output field, basis element, sign) of the construction.

* ``solve(samples (P, n), targets (P,), eps=None, method="exact", ...)``: a batch of
  independent problems -> ``SubsetSumResult`` (masks, sums, errors, status, ...).
  Methods (``METHODS``, the registry ``subsetsum.registry`` fills from the module that
  implements each): "exact" (batched meet-in-the-middle, default; adaptive with eps),
  "ktree" (Wagner's k-tree for many samples and few bits; eps required; exact fallback),
  "auto" (exact where its prefix is short, ktree above; the construction's default),
  "cpsat" (OR-Tools, proven integer rounding; ``min_cardinality=True``: sparsest subset
  within eps), "milp" (HiGHS, cross-check only, every claim re-verified).
* ``sup_error(samples)``: exact sup over z in [-1, 1] of the best error (the "works for
  every target" certificate); ``sup_error_bound`` for rows with many nonzero samples.
* ``SAMPLERS``: the registry of sample distributions ("uniform", "product", "pensia").
"""

from .api import solve
from .certificate import MAX_N as SUP_ERROR_MAX_N
from .certificate import sup_error, sup_error_bound
from .compact import compact_nonzero
from .distributions import SAMPLERS, draw
from .exact import CHUNK_VALUES as EXACT_CHUNK_VALUES
from .exact import MAX_N as EXACT_MAX_N
from .registry import METHODS
from .result import STATUSES, SubsetSumResult, evaluate
from .sums import code_sums

__all__ = [
    "solve",
    "sup_error",
    "sup_error_bound",
    "SUP_ERROR_MAX_N",
    "compact_nonzero",
    "EXACT_CHUNK_VALUES",
    "EXACT_MAX_N",
    "code_sums",
    "METHODS",
    "SAMPLERS",
    "draw",
    "STATUSES",
    "SubsetSumResult",
    "evaluate",
]
from .cover import layered_bound  # noqa: E402
from .prefix import certified_prefixes, first_hits, layered_prefixes, prefix_sup_errors  # noqa: E402

__all__ += ["certified_prefixes", "first_hits", "layered_prefixes", "prefix_sup_errors", "layered_bound"]
