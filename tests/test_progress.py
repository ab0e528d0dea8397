"""The one progress display (slt.progress): drawn on a terminal only, silent in pipes and with
--json, and never a change in any number or file."""

from __future__ import annotations

import io
import sys

from slt.progress import advance_to, note, progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def terminal(monkeypatch) -> Terminal:
    """Replace stderr by a terminal for the rest of the test (inside the test body: pytest
    installs its own stderr between a fixture's setup and the test call)."""
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_bar_is_drawn_on_a_terminal_and_counts_to_total(monkeypatch):
    stream = terminal(monkeypatch)
    with progress_bar(3, "demo", unit="cell") as bar:
        for _ in range(3):
            bar.update()
        note(bar, "halfway note")
        assert bar.n == 3
        bar.refresh()  # updates are drawn at most every 0.2 s
        assert "3/3" in stream.getvalue()
    text = stream.getvalue()
    assert "demo" in text and "0/3" in text and "halfway note\n" in text


def test_nothing_is_drawn_in_a_pipe_or_when_disabled(monkeypatch):
    stream = terminal(monkeypatch)
    with progress_bar(2, "off", enabled=False) as bar:  # --json
        bar.update(2)
        note(bar, "hidden")
    assert stream.getvalue() == ""
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress_bar(2, "pipe") as bar:
        bar.update(2)
        note(bar, "hidden")
    assert pipe.getvalue() == "" and bar.disable


def test_prune_callback_moves_the_bar_to_done(monkeypatch):
    terminal(monkeypatch)
    with progress_bar(1, "Subset-Sum", unit="layer") as bar:
        callback = advance_to(bar)
        for done in (1, 2, 3):
            callback(done, 3)
        assert bar.n == 3 and bar.total == 3


def test_progress_changes_no_number_calibrate(monkeypatch, tmp_path):
    stream = terminal(monkeypatch)
    import numpy as np

    from slt.cmd_calibrate import code_fingerprint, plan_tasks, run_tasks

    tasks = plan_tasks("confidence", [0.3, 0.1], 400, 150, 60, 3, code_fingerprint())
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    shown = run_tasks(tasks, tmp_path / "a", jobs=1, progress=True)
    assert "calibrate" in stream.getvalue() and "/400" in stream.getvalue()
    hidden = run_tasks(tasks, tmp_path / "b", jobs=1, progress=False)
    assert shown.keys() == hidden.keys() and all(np.array_equal(shown[k], hidden[k]) for k in shown)


def test_progress_changes_no_file_reproduce(tmp_path, monkeypatch):
    stream = terminal(monkeypatch)
    from slt.studies.runner import run_studies

    small = {
        "width_vs_eps": {
            "families": {"MLP": {"spec": {"family": "mlp"}, "channels": [2, 2, 2], "eps": [0.3], "m_max": 64}}
        }
    }
    run_studies(["width_vs_eps"], "tiny", 0, tmp_path / "a", jobs=1, progress=True, overrides=small)
    assert "slt reproduce" in stream.getvalue() and "done: width_vs_eps" in stream.getvalue()
    run_studies(["width_vs_eps"], "tiny", 0, tmp_path / "b", jobs=1, progress=False, overrides=small)
    for name in ("width_vs_eps.csv", "width_vs_eps.json", "width_vs_eps.tex", "width_vs_eps_2col.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
