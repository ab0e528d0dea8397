"""Group actions, orbital bases, the NumPy equivariant network engine (THEORY.md §1-2).

Field types and groups come from `groups`; `basis(field_in, field_out)` builds the orbital
basis of a pair once per process; every basis implements the `Basis` protocol.
"""
from .actions import Action, act, closure, inverse, joint, orbits, random_elements
from .equivariance import TOLERANCE, assert_equivariant, equivariance_error, network_equivariance_error
from .lattice import EXACT_GROUPS, kernel_offsets, lattice_action, lattice_basis
from .network import Layer, backward, forward, normalize_layer, op_norm, random_coefficients, random_network, relu
from .norms import basis_norm, perron_norm
from .nullspace import equivariant_nullspace
from .orbital import OrbitalBasis, burnside_count, orbital_basis
from .partition import PartitionBasis, partition_basis, set_partitions
from .perm import tensor_action
from .protocol import Basis, ConvTable
from .specs import action, action_from_spec, basis, basis_from_specs, clear_basis_cache, normalize_spec

__all__ = [
    "Action", "act", "closure", "inverse", "joint", "orbits", "random_elements",
    "TOLERANCE", "assert_equivariant", "equivariance_error", "network_equivariance_error",
    "EXACT_GROUPS", "kernel_offsets", "lattice_action", "lattice_basis",
    "Layer", "backward", "forward", "normalize_layer", "op_norm", "random_coefficients", "random_network", "relu",
    "basis_norm", "perron_norm", "equivariant_nullspace", "OrbitalBasis", "burnside_count", "orbital_basis",
    "PartitionBasis", "partition_basis", "set_partitions", "tensor_action", "Basis", "ConvTable",
    "action", "action_from_spec", "basis", "basis_from_specs", "clear_basis_cache", "normalize_spec",
]
from .construction import PruneResult, from_masks, hidden_basis, overparameterize, prune  # noqa: E402
from .verify import certificate, verify  # noqa: E402

__all__ += ["PruneResult", "from_masks", "hidden_basis", "overparameterize", "prune", "certificate", "verify"]
