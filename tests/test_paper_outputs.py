"""Paper-ready outputs (issue 14): LaTeX tables that fit a page and figures whose legends hide
no data, rendered from one tiny run of every study (about 12 s)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from slt.studies import STUDIES, load
from slt.studies.runner import run_studies

#: characters of a table row that fit the text width of a one-column paper at \small (~470 pt)
PAGE_CHARS = 100


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    return {r.name: r for r in run_studies(list(STUDIES), "tiny", 0, out, jobs=1, progress=False)}, out


def _visible(tex: str) -> int:
    """Rough printed width of LaTeX text in characters."""
    tex = re.sub(
        r"\\begin\{tabular\}\[b\]\{@\{\}c@\{\}\}(.*?)\\end\{tabular\}",
        lambda m: max(m.group(1).split(r" \\ "), key=len),
        tex,
    )
    tex = re.sub(r"\\(times|varepsilon|to|le|ge|min|max|mathrm|footnotesize)", "x", tex)
    return len(re.sub(r"[${}\\^]", "", tex))


def test_latex_tables_fit_a_page(runs):
    for run in runs[0].values():
        for t in run.tables:
            tex = t.to_latex()
            assert tex.count(r"\begin{") == tex.count(r"\end{") and tex.count("{") == tex.count("}"), t.name
            assert rf"\label{{tab:{t.name.replace('_', '-')}}}" in tex and r"\caption{" in tex
            assert ("longtable" in tex) == (len(t.rows) > 30), t.name
            rows = [line for line in tex.splitlines() if line.endswith(r"\\") and "&" in line]
            cells = [[_visible(c) for c in line[:-2].split(" & ")] for line in rows]
            widest = sum(max(col) for col in zip(*cells)) + 2 * len(cells[0])
            assert widest <= PAGE_CHARS, f"{t.name}: {widest} characters per row"
            assert "_measured" not in tex and "->" not in tex and "||" not in tex


def _inside(bbox, xy) -> np.ndarray:
    x, y = xy[:, 0], xy[:, 1]
    return (x > bbox.x0) & (x < bbox.x1) & (y > bbox.y0) & (y < bbox.y1)


def _hidden_points(fig) -> list:
    """(axes title, legend) pairs where a legend drawn inside its axes covers a data point or a bar top."""
    fig.canvas.draw()
    bad = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or not ax.get_visible() or not ax.has_data():
            continue
        box = leg.get_window_extent()
        if not box.overlaps(ax.get_window_extent()):
            continue  # outside the axes: hides nothing
        for line in ax.get_lines():
            xy = line.get_xydata()
            if len(xy) and not np.isnan(xy).all():
                pts = ax.transData.transform(xy[~np.isnan(xy).any(axis=1)])
                if _inside(box, pts).any():
                    bad.append((ax.get_title(), line.get_label()))
        for patch in ax.patches:
            if hasattr(patch, "get_height") and np.isfinite(patch.get_height()):
                top = ax.transData.transform([[patch.get_x() + patch.get_width() / 2, patch.get_height()]])
                if _inside(box, top).any():
                    bad.append((ax.get_title(), "bar"))
    return bad


@pytest.mark.parametrize("width", [3.4, 7.0])
def test_figures_legends_hide_no_data_and_layout_holds(runs, width):
    import matplotlib.pyplot as plt

    from slt.studies.figures import mark_preset, style

    for name, run in runs[0].items():
        tables = {t.name: t for t in run.tables}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. constrained layout collapsing the axes
            with style():
                fig = load(name).figure(tables, width)
                mark_preset(fig, "tiny")
                assert not _hidden_points(fig), (name, width, _hidden_points(fig))
                assert "TINY RUN" in fig._suptitle.get_text()
                plt.close(fig)


def test_quick_and_tiny_runs_say_so_on_the_figures(runs):
    run = runs[0]["basis_sizes"]
    assert run.preset == "tiny"
    from slt.studies.figures import PRESET_NOTE

    assert "not the full study" in PRESET_NOTE["quick"] and "not the full study" in PRESET_NOTE["tiny"]
