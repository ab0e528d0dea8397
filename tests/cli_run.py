"""Run ``slt`` in-process as a user would: exit status, stdout and stderr."""

from slt.cli import main


def run(argv, capsys):
    """(exit status, stdout, stderr) of ``slt argv``."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err
