r"""Tables of the studies: one object, written as CSV, LaTeX (booktabs) and JSON.

Every column carries a label saying where its numbers come from (STANDARDS):

* ``input``          a parameter of the study (chosen, not computed);
* ``proven``         computed from a proven formula with no unknown constant (Theorem 2,
                     exact |B| and ||B||, certificates);
* ``proven given C`` Theorem 1 evaluated at a stated constant C;
* ``calibrated``     Theorem 1 evaluated at the requirement calibrated by ``slt calibrate``
                     (the separable a, b, c, or the one-constant C, c0);
* ``measured``       a Monte-Carlo or experimental measurement (statistics of seeded draws);
* ``reference``      a published number, quoted for comparison (never computed here).

The CSV header holds the column names; the JSON file holds everything (labels, units,
descriptions, notes, parameters). The LaTeX table is made for a paper: the columns a
study selects (``latex_columns``; all of them are in the CSV), headers in math mode
($|B|$, $\|B\|$, $\varepsilon$, $\to$; :func:`tex_header`), the label under each header
and the units in a footnote, a ``\label``, and ``longtable`` (page breaks, repeated
header) above :data:`LONG_TABLE` rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field

from .cache import canonical, write_if_changed

LABELS = ("input", "proven", "proven given C", "calibrated", "measured", "reference")
#: the label row of a LaTeX table, abbreviated so that it never widens a column
TEX_LABELS = {
    "input": "input",
    "proven": "proven",
    "proven given C": "given $C$",
    "calibrated": "calib.",
    "measured": "meas.",
    "reference": "ref.",
}
#: tables with more rows are written as a longtable (breaks across pages, header repeated)
LONG_TABLE = 30


@dataclass
class Column:
    name: str
    label: str
    unit: str = ""
    description: str = ""

    def __post_init__(self):
        if self.label not in LABELS:
            raise ValueError(f"column {self.name!r}: label must be one of {LABELS}, got {self.label!r}")


@dataclass
class Table:
    """Rows (dicts keyed by column name) with labelled columns, notes and the study parameters."""

    name: str
    title: str
    columns: list
    rows: list
    notes: list = field(default_factory=list)
    params: dict = field(default_factory=dict)
    latex_columns: list | None = None  # the columns of the LaTeX table (None: all)

    def __post_init__(self):
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names {names}")
        unknown = set(self.latex_columns or ()) - set(names)
        if unknown:
            raise ValueError(f"table {self.name}: latex_columns names unknown columns {sorted(unknown)}")
        for i, row in enumerate(self.rows):
            extra = set(row) - set(names)
            if extra:
                raise ValueError(f"table {self.name}: row {i} has unknown columns {sorted(extra)}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> list:
        return [row.get(name) for row in self.rows]

    def where(self, **conditions) -> list[dict]:
        return [r for r in self.rows if all(r.get(k) == v for k, v in conditions.items())]

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        names = self.names  # rows keyed in column order: the same bytes whether computed or cached
        rows = [{n: row[n] for n in names if n in row} for row in self.rows]
        params = json.loads(canonical(self.params))  # sorted keys, as the cache stores them
        return {
            "name": self.name,
            "title": self.title,
            "columns": [vars(c) for c in self.columns],
            "rows": rows,
            "notes": list(self.notes),
            "params": params,
            "latex_columns": self.latex_columns,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Table:
        return cls(
            name=d["name"],
            title=d["title"],
            columns=[Column(**c) for c in d["columns"]],
            rows=d["rows"],
            notes=d.get("notes", []),
            params=d.get("params", {}),
            latex_columns=d.get("latex_columns"),
        )

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.names)
        for row in self.rows:
            w.writerow([_csv_cell(row.get(n)) for n in self.names])
        return buf.getvalue()

    def to_latex(self, digits: int = 4) -> str:
        """A booktabs table for a paper: the ``latex_columns``, math-mode headers, the label
        row, units in a footnote, caption and label; a longtable above LONG_TABLE rows."""
        cols = [c for c in self.columns if self.latex_columns is None or c.name in self.latex_columns]
        align = "".join("l" if _is_text_column(self, c.name) else "r" for c in cols)
        head = " & ".join(_stacked(tex_header(c.name)) for c in cols) + r" \\"
        sub = " & ".join(r"{\footnotesize " + TEX_LABELS[c.label] + "}" for c in cols) + r" \\"
        body = [" & ".join(_tex_cell(row.get(c.name), digits) for c in cols) + r" \\" for row in self.rows]
        caption = r"\caption{" + _tex_escape(self.title) + r"}\label{tab:" + self.name.replace("_", "-") + "}"
        units = "; ".join(
            f"{tex_header(c.name)}: {_tex_escape(c.unit)}"
            for c in cols
            if c.unit and c.unit not in c.name.replace("_", " ")
        )
        foot = [n for n in ([f"Units: {units}."] if units else []) + [_tex_escape(n) for n in self.notes]]
        if len(cols) < len(self.columns):
            csv_name = _tex_escape(self.name) + ".csv"
            foot.append(f"({len(cols)} of the {len(self.columns)} columns; all of them in {csv_name}.)")
        foot = [r"{\footnotesize " + " ".join(foot) + r"\par}"] if foot else []
        long = len(self.rows) > LONG_TABLE
        lines = [
            rf"% generated by `slt reproduce`; needs \usepackage{{booktabs{',longtable' if long else ''}}}",
            *(_longtable if long else _float_table)(align, caption, [head, sub], body, foot),
        ]
        return "\n".join(lines) + "\n"

    def write(self, directory) -> dict:
        """Write NAME.csv, NAME.tex and NAME.json under ``directory``; returns the paths."""
        from pathlib import Path

        d = Path(directory)
        paths = {"csv": d / f"{self.name}.csv", "tex": d / f"{self.name}.tex", "json": d / f"{self.name}.json"}
        write_if_changed(paths["csv"], self.to_csv().encode())
        write_if_changed(paths["tex"], self.to_latex().encode())
        write_if_changed(paths["json"], (json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n").encode())
        return paths


def _float_table(align: str, caption: str, header: list, body: list, foot: list) -> list:
    return [
        r"\begin{table}[t]",
        r"\centering\small\setlength{\tabcolsep}{4pt}",
        caption,
        r"\begin{tabular}{" + align + "}",
        r"\toprule",
        *header,
        r"\midrule",
        *body,
        r"\bottomrule",
        r"\end{tabular}",
        *foot,
        r"\end{table}",
    ]


#: characters per line of a LaTeX column header (longer headers are stacked on several lines)
HEADER_WIDTH = 12


def _stacked(header: str) -> str:
    """A header on lines of about HEADER_WIDTH visible characters (a one-column tabular,
    so no package is needed): 'theorem width calibrated' takes three short lines instead of
    one wide column."""
    lines, line = [], []
    for word in header.split(" "):
        visible = len(re.sub(r"\\[a-zA-Z]+|[${}]", "", " ".join(line + [word])))
        if line and visible > HEADER_WIDTH:  # (math words of tex_header hold no space)
            lines.append(" ".join(line))
            line = []
        line.append(word)
    lines.append(" ".join(line))
    return lines[0] if len(lines) == 1 else r"\begin{tabular}[b]{@{}c@{}}" + r" \\ ".join(lines) + r"\end{tabular}"


def _longtable(align: str, caption: str, header: list, body: list, foot: list) -> list:
    more = r"\multicolumn{" + str(len(align)) + r"}{l}{\footnotesize (continued)} \\"
    return [
        r"\begingroup\small\setlength{\tabcolsep}{4pt}",
        r"\begin{longtable}{" + align + "}",
        caption + r" \\",
        r"\toprule",
        *header,
        r"\midrule",
        r"\endfirsthead",
        more,
        r"\toprule",
        *header,
        r"\midrule",
        r"\endhead",
        r"\bottomrule",
        r"\endfoot",
        *body,
        r"\end{longtable}",
        *foot,
        r"\endgroup",
    ]


#: words of column names written as mathematics in LaTeX headers (whole words, longest first)
_TEX_WORDS = {
    "basis dim": r"$|B|$",
    "basis norm": r"$\|B\|$",
    "bandlimited dim": r"band-limited $|B|$",
    "eps min": r"$\varepsilon_{\min}$",
    "eps max": r"$\varepsilon_{\max}$",
    "eps": r"$\varepsilon$",
    "delta": r"$\delta$",
    "m min": r"$m_{\min}$",
    "m max": r"$m_{\max}$",
    "m": "$m$",
    "n": "$n$",
    "C1": "$C{=}1$",
    "q50": "median",
    "q90": r"90\%",
    "q99": r"99\%",
    "ci95": r"95\% CI",
    "p": "$P$",
    "k": "$k$",
    "n in": r"$n_{\mathrm{in}}$",
    "n out": r"$n_{\mathrm{out}}$",
}
_TEX_WORD_RE = re.compile(
    r"(?<![\w$])(" + "|".join(re.escape(w) for w in sorted(_TEX_WORDS, key=len, reverse=True)) + r")(?![\w$])"
)


def tex_header(name: str) -> str:
    r"""A column name as a LaTeX header: words separated by spaces, the mathematical ones in
    math mode; the label suffix ``_measured`` is dropped (the label row says it).

    >>> tex_header("basis_dim_orbital"), tex_header("theorem_width_C1"), tex_header("best_error_q99_measured")
    ('$|B|$ orbital', 'theorem width $C{=}1$', 'best error 99\\%')
    """
    words = name[: -len("_measured")] if name.endswith("_measured") else name
    words = words.replace("_", " ")
    parts = _TEX_WORD_RE.split(words)  # odd positions: mathematical words
    return "".join(_TEX_WORDS[w] if i % 2 else _tex_escape(w) for i, w in enumerate(parts))


def _csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return v


def _is_text_column(table: Table, name: str) -> bool:
    return any(isinstance(r.get(name), str) for r in table.rows)


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "||": r"$\Vert$",
    "<=": r"$\le$",
    ">=": r"$\ge$",
    # mathematics in titles and cells: S_n, |B|, ||B||, arrows
    "S_n": r"$S_n$",
    "||B||": r"$\|B\|$",
    "|B|": r"$|B|$",
    "->": r"$\to$",
    "ln(2/eps)": r"$\ln(2/\varepsilon)$",
    "log2(1/eps)": r"$\log_2(1/\varepsilon)$",
    "1/eps": r"$1/\varepsilon$",
    " eps": r" $\varepsilon$",
    " c0": r" $c_0$",
}
_TEX_RE = re.compile("|".join(re.escape(k) for k in sorted(_TEX_SPECIAL, key=len, reverse=True)))


def _tex_escape(s) -> str:
    """Escape LaTeX specials in one pass (so escapes are never escaped again)."""
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group(0)], str(s))


def format_number(v, digits: int = 4) -> str:
    """Compact human formatting: integers as is, floats with ``digits`` significant digits.

    >>> [format_number(v) for v in (12, 3.0, 0.123456, 2.5e-7, None, True)]
    ['12', '3', '0.1235', '2.500e-07', '--', 'yes']
    """
    if v is None:
        return "--"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "--"
        if v == int(v) and abs(v) < 1e7:
            return str(int(v))
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(v)


def _tex_cell(v, digits: int) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10000:
        return f"{v:,}".replace(",", "{,}")  # thousands separated: 633{,}360
    s = format_number(v, digits)
    if isinstance(v, float) and "e" in s:
        mant, exp = s.split("e")
        return f"${mant}\\times 10^{{{int(exp)}}}$"
    return _tex_escape(s) if isinstance(v, str) else s


def to_markdown(table: Table, max_rows: int | None = None, digits: int = 4) -> str:
    """A Markdown rendering (for reports/README.md): header, label row, rows."""
    names = table.names
    lines = [
        "| " + " | ".join(names) + " |",
        "| " + " | ".join("---" for _ in names) + " |",
        "| " + " | ".join(f"*{c.label}*" for c in table.columns) + " |",
    ]
    rows = table.rows if max_rows is None else table.rows[:max_rows]
    for row in rows:
        lines.append("| " + " | ".join(format_number(row.get(n), digits).replace("|", "\\|") for n in names) + " |")
    if max_rows is not None and len(table.rows) > max_rows:
        lines.append(f"\n({len(table.rows) - max_rows} more rows in the CSV)")
    return "\n".join(lines)
