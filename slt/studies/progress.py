"""A small progress bar on stderr (no dependency).

On a terminal the bar is redrawn in place; otherwise (CI logs, pipes) one line is printed
per finished step, so logs stay readable.

>>> import io
>>> buf = io.StringIO()
>>> bar = Progress(2, stream=buf, width=4)
>>> bar.advance("a"); bar.advance("b"); bar.close()
>>> buf.getvalue().splitlines()[-1].startswith("[####] 2/2")
True
"""
from __future__ import annotations

import sys
import time


class Progress:
    """``Progress(total)``; ``advance(note)`` after each finished step; ``close()`` at the end."""

    def __init__(self, total: int, stream=None, width: int = 30, prefix: str = ""):
        self.total = max(0, int(total))
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.prefix = prefix
        self.start = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_len = 0

    def _line(self, note: str) -> str:
        frac = self.done / self.total if self.total else 1.0
        fill = int(round(frac * self.width))
        elapsed = time.perf_counter() - self.start
        return (f"{self.prefix}[{'#' * fill}{'.' * (self.width - fill)}] {self.done}/{self.total} "
                f"{elapsed:6.1f}s  {note}")

    def write(self, note: str = "") -> None:
        line = self._line(note)
        if self.tty:
            pad = max(0, self._last_len - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._last_len = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def advance(self, note: str = "", steps: int = 1) -> None:
        self.done = min(self.total, self.done + steps)
        self.write(note)

    def message(self, text: str) -> None:
        """A line of text that does not disturb the bar."""
        if self.tty and self._last_len:
            self.stream.write("\r" + " " * self._last_len + "\r")
            self._last_len = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
