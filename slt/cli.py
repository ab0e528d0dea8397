"""The ``slt`` command line: one sub-command per module, dispatched with argparse.

Each sub-command lives in its own module exposing ``add_parser(subparsers)`` (which
registers the sub-command and sets ``func`` on its parser) so that this file only lists
them. Errors the user can fix (``ValueError`` raised by the toolkit on bad input, and
argparse's usage errors) are printed as one line ``slt <cmd>: error: ...`` with exit
status 2, never a traceback. ``slt --version`` prints the installed version.
"""

from __future__ import annotations

import argparse
import importlib
import re
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


#: what a negative number looks like on the command line: -1, -.5, -1e-3, -2.5E+10, -inf, -nan
#: (argparse's own pattern misses the exponent forms and took ``--targets -1e-3`` for an option)
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


class OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors on ONE line (``slt <cmd>: error: ...``, exit status 2),
    like the toolkit's own errors; ``--help`` shows the usage. Negative numbers in any float
    syntax are values, never options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    """The installed package version (pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("slt-equivariant")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="slt",
        description="Equivariant Strong Lottery Ticket toolkit: bases, Subset-Sum, bounds, pruning.",
    )
    parser.add_argument("--version", action="version", version=f"slt-equivariant {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    parser.set_defaults(commands=sub.choices)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the sub-command that was given them (``slt basis: error: ...``)
        args.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        result = args.func(args)
    except ValueError as exc:
        parser.exit(2, f"slt {args.command}: error: {exc}\n")
    except MemoryError as exc:  # a size the up-front estimates missed: still one line, never a traceback
        parser.exit(1, f"slt {args.command}: error: out of memory ({exc or 'MemoryError'}); use smaller sizes\n")
    except KeyboardInterrupt:
        parser.exit(130, f"slt {args.command}: interrupted\n")
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
