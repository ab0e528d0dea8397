"""`slt --version`, and `--json` on every command that prints results (issue 14)."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest
from cli_run import run

from slt.cli import build_parser

#: commands without --json yet, each with its owner (remove the entry when it lands)
NO_JSON_YET: dict = {}


def _commands(parser, prefix=()):
    sub = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    if not sub:
        yield prefix, parser
        return
    for name, p in sub[0].choices.items():
        yield from _commands(p, prefix + (name,))


def test_every_command_has_json():
    missing = [
        " ".join(name)
        for name, p in _commands(build_parser())
        if "--json" not in {o for a in p._actions for o in a.option_strings} and " ".join(name) not in NO_JSON_YET
    ]
    assert not missing, f"commands without --json: {missing}"


def test_version(capsys):
    code, out, err = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"slt-equivariant {version('slt-equivariant')}"


@pytest.mark.parametrize(
    "argv",
    [
        ["basis", "--family", "mlp", "--json"],
        ["subsetsum", "--n", "8", "--json"],
        ["width", "--family", "mlp", "--channels", "2", "2", "--eps", "0.1", "--json"],
        ["reproduce", "--preset", "tiny", "--only", "basis_sizes", "--list", "--json", "--out", "{tmp}"],
    ],
)
def test_json_output_is_one_json_document(argv, capsys, tmp_path):
    code, out, _ = run([a.replace("{tmp}", str(tmp_path)) for a in argv], capsys)
    assert code == 0
    assert isinstance(json.loads(out), dict)
