"""The ``slt`` command line: one sub-command per module, dispatched with argparse.

Each sub-command lives in its own module exposing ``add_parser(subparsers)`` (which
registers the sub-command and sets ``func`` on its parser) so that this file only lists
them. Errors the user can fix (``ValueError`` raised by the toolkit on bad input) are
printed as one line ``slt <cmd>: error: ...`` with exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# sub-command modules, in the order they are listed by ``slt --help``
COMMANDS = [
    "slt.cmd_basis",
    "slt.cmd_subsetsum",
    "slt.bench",
    "slt.cmd_width",
    "slt.cmd_calibrate",
    "slt.cmd_prune",
    "slt.cmd_verify",
    "slt.cmd_import",
    "slt.cmd_export",
    "slt.cmd_reproduce",
    "slt.cmd_experiment",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slt",
        description="Equivariant Strong Lottery Ticket toolkit: bases, Subset-Sum, bounds, pruning.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except ValueError as exc:
        parser.exit(2, f"slt {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"slt {args.command}: interrupted\n")
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
