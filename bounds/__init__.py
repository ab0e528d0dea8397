"""bounds: how wide must the random network be? (THEORY.md §1-§4, SymPy and numbers).

Symbolic and numeric forms of the random Subset-Sum requirement, Lemma 1 / Theorem 1
(upper bound, explicit constants), Theorem 2 (lower bound), closed forms of |B| and ||B||
for every family, the inverse questions, and the constant C (user-given, labelled
"proven given C", or calibrated, labelled "calibrated"). Of the toolkit's packages it
imports only `groups` (field types and their validation), never `subsetsum` or
`constructions`.
"""

from .bandlimited import bandlimited_dim, escnn_rings
from .calibration import calibrated_constant, calibrated_separable, calibration, resolve_constants, resolve_separable
from .closed_forms import basis_dim, basis_dim_expr, basis_norm, basis_norm_expr, closed_form_kind, sizes
from .floors import failure_lower_bound, m_floor
from .inverse import best_eps, best_eps_expr, min_width, min_width_expr
from .network import family_formula_expr, formula_expr, layers_from_specs, network_width
from .specs import check_compatible, check_spec
from .subset_sum import (
    subset_sum_eps,
    subset_sum_m,
    subset_sum_m_expr,
    subset_sum_m_separable,
    subset_sum_m_separable_expr,
)
from .symbols import latex, pretty
from .theorem1 import (
    lemma1_eps_pp,
    lemma1_eps_pp_expr,
    lemma1_m,
    lemma1_m_expr,
    paper_width,
    paper_width_expr,
    theorem1_eps_pp_expr,
    theorem1_layer,
    theorem1_layer_separable,
    theorem1_m_expr,
    theorem1_random_params_expr,
    theorem1_width_expr,
)
from .theorem2 import lower_bound, lower_bound_expr, tightness_ratio
from .validate import check_channels, check_delta, check_eps

__all__ = [
    "bandlimited_dim",
    "escnn_rings",
    "family_formula_expr",
    "formula_expr",
    "latex",
    "pretty",
    "check_channels",
    "check_delta",
    "check_eps",
    "basis_dim",
    "basis_dim_expr",
    "basis_norm",
    "basis_norm_expr",
    "best_eps",
    "best_eps_expr",
    "calibrated_constant",
    "calibrated_separable",
    "calibration",
    "resolve_separable",
    "check_compatible",
    "check_spec",
    "closed_form_kind",
    "layers_from_specs",
    "m_floor",
    "failure_lower_bound",
    "subset_sum_m_separable",
    "subset_sum_m_separable_expr",
    "theorem1_layer_separable",
    "lemma1_eps_pp",
    "lemma1_eps_pp_expr",
    "lemma1_m",
    "lemma1_m_expr",
    "lower_bound",
    "lower_bound_expr",
    "min_width",
    "min_width_expr",
    "network_width",
    "paper_width",
    "paper_width_expr",
    "resolve_constants",
    "sizes",
    "subset_sum_eps",
    "subset_sum_m",
    "subset_sum_m_expr",
    "theorem1_eps_pp_expr",
    "theorem1_layer",
    "theorem1_m_expr",
    "theorem1_random_params_expr",
    "theorem1_width_expr",
    "tightness_ratio",
]
# names the application layer (slt) uses: the statistics and the record of `slt calibrate`
from .calibration import CALIBRATION_PATH, calibration_points, calibration_record  # noqa: E402
from .statistics import (  # noqa: E402
    bonferroni_alpha,
    check_grid,
    clopper_pearson_upper,
    fit_one_constant,
    fit_separable,
    smallest_m,
    trials_needed,
)

__all__ += [
    "CALIBRATION_PATH",
    "calibration_points",
    "calibration_record",
    "bonferroni_alpha",
    "check_grid",
    "clopper_pearson_upper",
    "fit_one_constant",
    "fit_separable",
    "smallest_m",
    "trials_needed",
]
