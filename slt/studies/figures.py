"""Figure style and output: serif fonts, the Okabe-Ito colour-blind-safe palette, one- and
two-column paper widths, vector PDF plus PNG. Matplotlib only, Agg backend.

A study's figure function has the signature ``figure(tables, width) -> Figure`` and
chooses its height from ``width``; :func:`save_figure` calls it once per layout inside
:func:`style` and writes ``NAME_1col.{pdf,png}`` and ``NAME_2col.{pdf,png}``.

Curves say where they come from, in the legend, with the same words as the tables'
column labels: proven, proven given C, calibrated, measured (:func:`legend`), and a line
style per kind (:data:`KIND_STYLE`): proven solid, calibrated dashed, proven given C
dash-dot, measured markers.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from .cache import write_if_changed

# matplotlib (Agg backend) is imported on first use, so that a cached `slt reproduce` whose
# figures are all up to date never loads it

#: Okabe & Ito (2008), "Color Universal Design": distinguishable under all common colour-vision deficiencies
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
PALETTE = [
    OKABE_ITO[c]
    for c in ("blue", "vermillion", "bluish green", "orange", "reddish purple", "sky blue", "black", "yellow")
]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
#: figure widths in inches: one column of a two-column paper, and the full text width
LAYOUTS = {"1col": 3.4, "2col": 7.0}
FORMATS = ("pdf", "png")
PNG_DPI = 200
KIND_STYLE = {
    "proven": {"linestyle": "-", "marker": None},
    "proven given C": {"linestyle": "-.", "marker": None},
    "calibrated": {"linestyle": "--", "marker": None},
    "measured": {"linestyle": ":", "marker": "o", "markersize": 3},
    "reference": {"linestyle": "none", "marker": "*", "markersize": 7},
}

RC = {
    "font.family": "serif",
    "font.serif": ["DejaVu Serif", "Bitstream Vera Serif", "Times New Roman", "Times"],
    "mathtext.fontset": "dejavuserif",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "grid.linewidth": 0.3,
    "grid.alpha": 0.5,
    "pdf.fonttype": 42,  # TrueType in the PDF: editable text, accepted by publishers
    "ps.fonttype": 42,
    "svg.hashsalt": "slt",
    "figure.constrained_layout.use": True,
    "savefig.bbox": "standard",
}


@contextlib.contextmanager
def style():
    """The paper style as a matplotlib rc context (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")

    with matplotlib.rc_context({**RC, "axes.prop_cycle": matplotlib.cycler(color=PALETTE)}):
        yield


def legend(text: str, kind: str) -> str:
    """Legend entry naming the kind of number: ``"theorem width (calibrated)"``."""
    if kind not in KIND_STYLE:
        raise ValueError(f"kind must be one of {tuple(KIND_STYLE)}, got {kind!r}")
    return f"{text} ({kind})"


def kind_style(kind: str, color=None, **extra) -> dict:
    """Line style for a kind of number (plus colour and extras)."""
    st = dict(KIND_STYLE[kind])
    if color is not None:
        st["color"] = color
    st.update(extra)
    return st


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


def clean_log_axes(ax) -> None:
    """No labels on minor ticks of log axes (they collide at small sizes)."""
    from matplotlib.ticker import NullFormatter

    if ax.get_xscale() == "log":
        ax.xaxis.set_minor_formatter(NullFormatter())
    if ax.get_yscale() == "log":
        ax.yaxis.set_minor_formatter(NullFormatter())


def plain_log_axis(ax, which: str = "y") -> None:
    """A log axis readable when it spans a decade or less: major ticks at 1, 2, 5 x 10^k with
    plain numbers (100, 200, 500), no minor labels."""
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    fmt = ScalarFormatter()
    fmt.set_scientific(False)
    axis.set_major_formatter(fmt)
    axis.set_minor_formatter(NullFormatter())


def outside_legend(ax, handles=None, fontsize: float = 5.5, below: bool = False, **kwargs) -> None:
    """The panel's legend outside its axes, where it can hide no curve: to the right, or
    ``below`` the x label (narrow one-column figures; two columns of entries)."""
    if handles is not None:
        kwargs["handles"] = handles
    if below:
        kwargs.setdefault("ncol", 2)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), borderaxespad=0.0, fontsize=fontsize, **kwargs)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=fontsize, **kwargs)


def bar_values(ax, bars, fmt: str = "{:.1f}", fontsize: float = 5.0) -> None:
    """The value of every bar written above it (bars of nearly equal height are read by number)."""
    for bar in bars:
        h = bar.get_height()
        if h == h:  # not NaN
            ax.annotate(
                fmt.format(h),
                (bar.get_x() + bar.get_width() / 2, h),
                xytext=(0, 1.5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=fontsize,
            )


def end_marker(ax, x: float, y: float, color) -> None:
    """Marks where a curve stops at an enumeration cap (a short vertical bar at its last point)."""
    ax.plot([x], [y], marker="|", markersize=7, markeredgewidth=1.2, color=color, linestyle="none")


def cap_handle(text: str):
    """Legend entry of :func:`end_marker`."""
    from matplotlib.lines import Line2D

    return Line2D([], [], marker="|", markersize=7, markeredgewidth=1.2, color="gray", linestyle="none", label=text)


#: note on every figure of a run that is not the full one (``slt reproduce --quick``, tests)
PRESET_NOTE = {
    "quick": "QUICK RUN (--quick: CI-sized, fewer trials and seeds; not the full study)",
    "tiny": "TINY RUN (test preset: a handful of trials; not the full study)",
}


def mark_preset(fig, preset: str | None) -> None:
    """Say on the figure that it comes from a quick (or tiny) run, not the full study."""
    note = PRESET_NOTE.get(preset or "full")
    if note is None:
        return
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    fig.suptitle(f"{title}\n{note}" if title else note, fontsize=6.5, color=OKABE_ITO["vermillion"])


def math_text(text: str) -> str:
    r"""Plain names as mathematics for figure text: S_n, arrows (->) and eps in math mode.

    >>> math_text("S_n 2->2")
    '$S_n$ 2$\\to$2'
    """
    return text.replace("S_n", "$S_n$").replace("->", r"$\to$").replace("eps", r"$\varepsilon$")


def family_panels(table, width: float):
    """One panel per family of ``table`` (in order of appearance), laid out for ``width``
    with a spare slot for the legend: (families, fig, axes, spare_ax)."""
    fams = list(dict.fromkeys(r["family"] for r in table.rows))
    one = width < 4
    fig, axes, spare = panel_grid(
        len(fams), width, panel_height=1.9 if one else 2.1, max_cols=2 if one else 3, spare=True
    )
    return fams, fig, axes, spare


def panel_grid(
    n: int, width: float, panel_height: float | None = None, max_cols: int | None = None, spare: bool = False
):
    """A figure with ``n`` panels laid out for ``width`` (fewer columns at one-column width).

    With ``spare`` the first unused slot of the grid is returned as well (axis off, for a
    legend) or None if the grid is full: (fig, axes, spare_ax)."""
    import matplotlib.pyplot as plt

    cols = max_cols or (1 if width < 4 else 3)
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    ph = panel_height or (width / cols) * 0.8
    fig, axes = plt.subplots(rows, cols, figsize=(width, ph * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    if spare:
        extra = flat[n] if len(flat) > n else None
        if extra is not None:
            extra.set_visible(True)
            extra.axis("off")
        return fig, flat[:n], extra
    return fig, flat[:n]


def shared_legend(fig, axes, spare, fontsize: float = 6.5, **kwargs) -> None:
    """One legend for a grid of panels: in the spare grid slot if there is one and the figure
    is two columns wide, else below the panels (outside them)."""
    seen = {}
    for ax in axes:  # every label once, in order of first appearance
        for h, l in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(l, h)
    handles, labels = list(seen.values()), list(seen)
    if spare is not None and fig.get_figwidth() >= 4:  # a narrow figure's spare slot is too narrow
        spare.legend(handles, labels, loc="center", fontsize=fontsize, **kwargs)
    else:
        if spare is not None:
            spare.set_visible(False)
        ncol = 1 if fig.get_figwidth() < 4 else 2
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=fontsize, **kwargs)


def figure_paths(name: str, directory) -> dict:
    """{layout: {format: path}} of the files :func:`save_figure` writes for figure ``name``."""
    return {layout: {fmt: Path(directory) / f"{name}_{layout}.{fmt}" for fmt in FORMATS} for layout in LAYOUTS}


def save_figure(build, name: str, directory, tables, preset: str | None = None) -> dict:
    """Render ``build(tables, width)`` for every layout and write PDF and PNG files; a
    ``preset`` other than full is said on the figure (:func:`mark_preset`).

    Returns {layout: {format: path}}. Files are written atomically, and only when their bytes
    change; PDFs carry no creation date, so the same tables give the same bytes."""
    import matplotlib.pyplot as plt

    paths = figure_paths(name, directory)
    for layout, width in LAYOUTS.items():
        with style():
            fig = build(tables, width)
            mark_preset(fig, preset)
            for fmt, path in paths[layout].items():
                buf = io.BytesIO()
                kwargs = {"metadata": {"CreationDate": None}} if fmt == "pdf" else {"dpi": PNG_DPI}
                fig.savefig(buf, format=fmt, **kwargs)
                write_if_changed(path, buf.getvalue())
            plt.close(fig)
    return paths
