"""The result of a batch of Subset-Sum problems and the one way errors are evaluated.

Problem p: samples a_p = (a_{p,1}, ..., a_{p,n}), target z_p; a mask m_p in {0,1}^n selects
S_p = {i : m_{p,i} = 1} and

    sum_p   = sum_{i in S_p} a_{p,i}           (float64, ``evaluate``),
    error_p = |z_p - sum_p|                    (float64).

Every method reports errors re-evaluated this way from its masks; no solver's own
objective value is ever reported as an error.

Status of problem p (``STATUSES``):

* ``optimal``: error_p is the minimum over all 2^n subsets (exact: exactly, up to float64
  rounding of the sums; cpsat: up to the proven rounding slack, error_p <= OPT_p + slack_p;
  milp: confirmed by the exact solver up to 2^-44 (|z_p| + sum_i |a_{p,i}|), float64 rounding;
  min_cardinality: the fewest samples among subsets with error <= eps).
* ``eps-feasible``: error_p <= eps, checked in float64; optimality not claimed (exact in
  adaptive mode stopped on a prefix of the samples, or a feasibility-mode solver).
* ``infeasible``: proven that no subset has error <= eps; the mask is still the best
  subset found (for exact: the optimum).
* ``time-limit``: nothing proven: the solver stopped at its time limit, or (milp) its
  claim did not survive re-verification, or (cpsat with eps) the subset found is within
  the rounding slack of eps but not within eps in float64 (``backend_status`` says which).
  The mask is the best subset found (maybe empty). Problems below cpsat's or milp's
  resolution are refused before solving (use method="exact").
* ``capped``: (exact with ``on_cap="prefix"``) the problem has more nonzero samples than
  meet-in-the-middle can take and no prefix reached eps: the mask is the exact optimum over
  its first ``exact.MAX_N`` nonzero samples (error > eps if eps was given); optimality over
  all samples is not claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from groups import check_real_array

OPTIMAL = "optimal"
EPS_FEASIBLE = "eps-feasible"
INFEASIBLE = "infeasible"
TIME_LIMIT = "time-limit"
CAPPED = "capped"
STATUSES = (OPTIMAL, EPS_FEASIBLE, INFEASIBLE, TIME_LIMIT, CAPPED)


@dataclass(frozen=True, eq=False)
class SubsetSumResult:
    """Answers to P independent Subset-Sum problems (see the module docstring).

    masks (P, n) bool: selected samples; never a zero sample.
    sums (P,) float64: sum of the selected samples (``evaluate``).
    errors (P,) float64: |targets - sums|.
    status (P,) str: one of ``STATUSES``.
    error_bounds (P,) float64: errors + slack.
    slack (P,) float64: proven rounding slack of the method's arithmetic (0 for exact and
        milp; (n + 1)/S for cpsat with scale S, see ``subsetsum.cpsat``).
    n_used (P,) int64: number of nonzero samples the answer was searched over (smaller than
        the row's nonzero count when adaptive exact stopped on a prefix).
    backend_status (P,) str: the backend's own claim (cpsat/milp), "" for exact.
    method, eps: as passed to ``solve``.
    """

    masks: np.ndarray
    sums: np.ndarray
    errors: np.ndarray
    status: np.ndarray
    error_bounds: np.ndarray
    slack: np.ndarray
    n_used: np.ndarray
    backend_status: np.ndarray
    method: str = "exact"
    eps: float | None = None
    seconds: float = field(default=0.0)

    def __len__(self) -> int:
        return int(self.errors.shape[0])

    def counts(self) -> dict[str, int]:
        """Number of problems per status."""
        return {s: int(np.count_nonzero(self.status == s)) for s in STATUSES}


def evaluate(samples: np.ndarray, masks: np.ndarray, targets: np.ndarray):
    """(sums, errors): sum_p = sum_{i: m_{p,i}} a_{p,i}, error_p = |z_p - sum_p|, float64.

    The canonical evaluation (NumPy pairwise summation of the masked row): every method
    and every test uses it, so "error <= eps" means the same thing everywhere.
    """
    samples = check_real_array("samples", samples, 2, finite=False)
    targets = check_real_array("targets", targets, 1, finite=False)
    if not isinstance(masks, np.ndarray) or masks.dtype != bool or masks.shape != samples.shape:
        raise ValueError(
            f"masks must be a bool array of the samples' shape {samples.shape}, got "
            f"{getattr(masks, 'dtype', type(masks).__name__)} of shape {np.shape(masks)}"
        )
    if targets.shape[0] != samples.shape[0]:
        raise ValueError(
            f"targets of shape {targets.shape} do not match samples of shape {samples.shape}: "
            f"expected one target per row, shape ({samples.shape[0]},) (never broadcast)"
        )
    sums = np.where(masks, samples, 0.0).sum(axis=1)
    errors = np.abs(targets - sums)
    if not np.isfinite(errors).all():  # P values: a cheap check of targets and selected samples
        p = int(np.argmax(~np.isfinite(errors)))
        raise ValueError(
            f"problem {p}: target {targets[p]} and the selected samples (sum {sums[p]}) must be finite numbers"
        )
    return sums, errors


def make_result(
    samples, targets, masks, status, *, method, eps, n_used, slack=None, backend_status=None, seconds=0.0
) -> SubsetSumResult:
    """Assemble a ``SubsetSumResult``: zero samples are dropped from the masks
    (``masks &= samples != 0``) and sums/errors are (re-)evaluated with ``evaluate``."""
    masks = np.asarray(masks, dtype=bool) & (samples != 0)
    sums, errors = evaluate(samples, masks, targets)
    P = errors.shape[0]
    slack = np.zeros(P) if slack is None else np.asarray(slack, dtype=np.float64)
    if backend_status is None:
        backend_status = np.full(P, "", dtype="U1")
    return SubsetSumResult(
        masks=masks,
        sums=sums,
        errors=errors,
        status=np.asarray(status, dtype="U12"),
        error_bounds=errors + slack,
        slack=slack,
        n_used=np.asarray(n_used, dtype=np.int64),
        backend_status=np.asarray(backend_status, dtype=str),
        method=method,
        eps=eps,
        seconds=float(seconds),
    )
