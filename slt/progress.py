"""The one progress display of every long command: a tqdm bar on stderr.

``slt prune`` (Subset-Sum layers), ``slt calibrate`` (trials), ``slt reproduce`` (cells),
``slt experiment`` (training and pruning stages) and ``slt bench prune|basis`` (stages)
all draw it. It is shown only when stderr is a terminal and the command prints text
(``enabled=False`` for ``--json``), so logs, pipes and JSON output stay clean; notes
(one line each, e.g. a finished study) are printed above the bar under the same rule.
Drawing never touches a number, a random draw or a file.

>>> with progress_bar(3, "demo", enabled=False) as bar:     # --json: nothing is drawn
...     for _ in range(3):
...         bar.update()
>>> bar.disable
True
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int, desc: str, *, enabled: bool = True, unit: str = "step") -> tqdm:
    """A bar on stderr, drawn only if ``enabled`` and stderr is a terminal (use as a context manager)."""
    stream = sys.stderr
    shown = bool(enabled) and bool(getattr(stream, "isatty", lambda: False)())
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=stream,
        disable=not shown,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.2,
    )


def note(bar: tqdm, message: str) -> None:
    """One line above the bar (printed only while the bar is shown)."""
    if not bar.disable:
        bar.write(message, file=bar.fp)


def advance_to(bar: tqdm):
    """A ``progress(done, total)`` callback (``constructions.prune``) moving the bar to ``done``."""

    def callback(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return callback
