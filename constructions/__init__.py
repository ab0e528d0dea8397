"""Group actions, orbital bases, the NumPy equivariant network engine (THEORY.md §1-2).

Field types and groups come from `groups`; `basis(field_in, field_out)` builds the orbital
basis of a pair once per process; every basis implements the `Basis` protocol.
"""
from .actions import Action, act, closure, inverse, joint, orbits, random_elements
from .equivariance import (TOLERANCE, EquivarianceErrors, GroupElements, assert_equivariant, check_equivariance,
                          equivariance_error, equivariance_errors, group_elements, network_equivariance_error,
                          network_equivariance_errors)
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
    "TOLERANCE", "EquivarianceErrors", "GroupElements", "assert_equivariant", "check_equivariance",
    "equivariance_error", "equivariance_errors", "group_elements", "network_equivariance_error",
    "network_equivariance_errors",
    "EXACT_GROUPS", "kernel_offsets", "lattice_action", "lattice_basis",
    "Layer", "backward", "forward", "normalize_layer", "op_norm", "random_coefficients", "random_network", "relu",
    "basis_norm", "perron_norm", "equivariant_nullspace", "OrbitalBasis", "burnside_count", "orbital_basis",
    "PartitionBasis", "partition_basis", "set_partitions", "tensor_action", "Basis", "ConvTable",
    "action", "action_from_spec", "basis", "basis_from_specs", "clear_basis_cache", "normalize_spec",
]
from .construction import PruneResult, from_masks, hidden_basis, overparameterize, prune  # noqa: E402
from .verify import certificate, verify  # noqa: E402

__all__ += ["PruneResult", "from_masks", "hidden_basis", "overparameterize", "prune", "certificate", "verify"]
# names the application layer (slt) uses: the construction's pieces, training, graph bases
from .construction import layer_eps, split_input  # noqa: E402
from .verify import layer_bound, network_bound  # noqa: E402
# train as train_network: the function must not shadow the submodule constructions.train
from .train import data_init, init_network, logits_of, minibatches, rescale_network, train as train_network  # noqa: E402,E501
from .mpnn import GraphBasis, bind_graphs, graph_equivariance_error, permute_graphs  # noqa: E402

__all__ += ["layer_eps", "split_input", "layer_bound", "network_bound", "data_init", "init_network", "logits_of",
            "minibatches", "rescale_network", "train_network", "GraphBasis", "bind_graphs", "graph_equivariance_error",
            "permute_graphs"]
from .prefix import prefix_network  # noqa: E402

__all__ += ["prefix_network"]
