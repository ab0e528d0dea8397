"""Group actions, orbital bases, the NumPy equivariant network engine, the SLT construction
(THEORY.md §1-§5), and the files it reads and writes.

Field types and groups come from `groups`; `basis(field_in, field_out)` builds the orbital
basis of a pair once per process; every basis implements the `Basis` protocol. Code outside
this package uses only the names below (tests/test_architecture.py).
"""

from .actions import Action, act, closure, inverse, joint, orbits, random_elements
from .construction import PruneResult, from_masks, hidden_basis, layer_eps, overparameterize, prune, split_input
from .equivariance import (
    TOLERANCE,
    EquivarianceErrors,
    GroupElements,
    assert_equivariant,
    check_equivariance,
    equivariance_error,
    equivariance_errors,
    group_elements,
    network_equivariance_error,
    network_equivariance_errors,
)
from .export import export_arrays, form_specs, forms_of, network_weights
from .files import atomic_write, check_output_dir, check_writable, read_npz, save_npz
from .lattice import EXACT_GROUPS, kernel_offsets, lattice_action, lattice_basis
from .mpnn import GraphBasis, bind_graphs, graph_equivariance_error, permute_graphs
from .network import Layer, backward, forward, normalize_layer, op_norm, random_coefficients, random_network, relu
from .norms import basis_norm, perron_norm
from .nullspace import equivariant_nullspace
from .onnx_model import onnx_model, require_onnx
from .orbital import OrbitalBasis, burnside_count, orbital_basis
from .partition import PartitionBasis, partition_basis, set_partitions
from .perm import tensor_action
from .prefix import prefix_network
from .protocol import Basis, ConvTable
from .recheck import check_failures, meta_failures, rebuild, report_failures, resolved_mask_failures
from .saved import (
    PrunedFile,
    check_dims,
    load_network,
    load_pruned,
    load_target,
    pruned_file,
    save_pruned,
    save_target,
    seed_streams,
)
from .specs import action, action_from_spec, basis, basis_bytes, basis_from_specs, clear_basis_cache, normalize_spec

# train as train_network: the function must not shadow the submodule constructions.train
from .train import data_init, init_network, logits_of, minibatches, rescale_network
from .train import train as train_network
from .verify import certificate, check_verify_memory, layer_bound, network_bound, verify
from .weights import layout, orbital_projection

__all__ = [
    # groups acting on sets
    "Action",
    "act",
    "closure",
    "inverse",
    "joint",
    "orbits",
    "random_elements",
    "action",
    "action_from_spec",
    "tensor_action",
    "lattice_action",
    "kernel_offsets",
    "EXACT_GROUPS",
    # bases
    "Basis",
    "ConvTable",
    "basis",
    "basis_bytes",
    "basis_from_specs",
    "clear_basis_cache",
    "normalize_spec",
    "OrbitalBasis",
    "orbital_basis",
    "burnside_count",
    "lattice_basis",
    "PartitionBasis",
    "partition_basis",
    "set_partitions",
    "GraphBasis",
    "bind_graphs",
    "permute_graphs",
    "basis_norm",
    "perron_norm",
    "equivariant_nullspace",
    # the engine
    "Layer",
    "forward",
    "backward",
    "relu",
    "op_norm",
    "normalize_layer",
    "random_coefficients",
    "random_network",
    # equivariance
    "TOLERANCE",
    "EquivarianceErrors",
    "GroupElements",
    "assert_equivariant",
    "check_equivariance",
    "equivariance_error",
    "equivariance_errors",
    "group_elements",
    "network_equivariance_error",
    "network_equivariance_errors",
    "graph_equivariance_error",
    # the construction and its verification
    "PruneResult",
    "prune",
    "overparameterize",
    "from_masks",
    "hidden_basis",
    "layer_eps",
    "split_input",
    "prefix_network",
    "verify",
    "certificate",
    "check_verify_memory",
    "layer_bound",
    "network_bound",
    # files: pruned networks, targets, strict re-check
    "atomic_write",
    "check_output_dir",
    "check_writable",
    "read_npz",
    "save_npz",
    "PrunedFile",
    "pruned_file",
    "save_pruned",
    "load_pruned",
    "load_network",
    "check_dims",
    "seed_streams",
    "save_target",
    "load_target",
    "rebuild",
    "check_failures",
    "meta_failures",
    "report_failures",
    "resolved_mask_failures",
    # dense weights (PyTorch layouts), export, ONNX
    "layout",
    "orbital_projection",
    "export_arrays",
    "form_specs",
    "forms_of",
    "network_weights",
    "onnx_model",
    "require_onnx",
    # training
    "data_init",
    "init_network",
    "logits_of",
    "minibatches",
    "rescale_network",
    "train_network",
]
