"""Command line, reports and benchmarks of the equivariant SLT toolkit (thin layer over
``subsetsum``, ``constructions`` and ``bounds``)."""
