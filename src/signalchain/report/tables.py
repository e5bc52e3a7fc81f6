"""A table of text cells in every output format: rich (terminal), Markdown, CSV and TSV.

Every command that prints a table makes (header, rows) once and lets the user pick the
format with ``--format``. Cells are text from rig files too, so each format escapes them:
Markdown's pipes and line breaks, CSV cells that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Literal

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table

MAX_WORD_COLUMN = 40
"""A column is never made narrower than its longest word, up to this many characters."""
TableFormat = Literal["table", "md", "csv", "tsv"]
TABLE_FORMATS: tuple[TableFormat, ...] = ("table", "md", "csv", "tsv")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these runs as a formula in spreadsheets (CSV injection)."""


_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")


def _spreadsheet_safe(cell: str) -> str:
    """The cell, quoted with ``'`` if a spreadsheet would run it as a formula (not numbers)."""
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    """CSV (or TSV, with a tab as ``delimiter``), every cell spreadsheet-safe."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow([_spreadsheet_safe(h) for h in header])
    writer.writerows([[_spreadsheet_safe(str(c)) for c in row] for row in rows])
    return buf.getvalue()


def _md_cell(cell: str) -> str:
    text = " ".join(str(cell).split())  # no line breaks inside a row
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def to_markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


class _FittingTable(Table):
    """A table that stays within the width it is given.

    Rich's layout can come out wider than the console by up to one character per
    fixed-width column, and the console then cuts the last column; laying it out that much
    narrower keeps every word whole.
    """

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fixed = sum(1 for c in self.columns if c.width is not None)
        narrower = options.update_width(max(options.max_width - fixed, 20))
        yield from super().__rich_console__(console, narrower)


def new_table(title: str = "") -> Table:
    """A table in the compact style every command prints (no vertical rules)."""
    # no box: rich counts a box's blank dividers as if they took no room, and overflows
    return _FittingTable(title=title or None, title_justify="left", box=None, pad_edge=False,
                         padding=(0, 1), collapse_padding=True, header_style="bold underline")


def add_columns(table: Table, header: Sequence[str], rows: Sequence[Sequence[str]],
                no_wrap: Sequence[str] = ()) -> None:
    """Add columns as wide as their longest word (up to :data:`MAX_WORD_COLUMN`).

    So rich wraps between words, never inside one ("output-imped│ance").
    """
    for i, h in enumerate(header):
        if h in no_wrap:  # never wrapped: as wide as its widest cell
            width = max([len(h), *(len(str(row[i])) for row in rows)])
        else:
            width = max([*(len(w) for w in h.split()),
                         *(len(w) for row in rows for w in str(row[i]).split())])
        if h in no_wrap:  # a fixed width
            table.add_column(h, no_wrap=True, width=width)
        else:
            table.add_column(h, min_width=min(width, MAX_WORD_COLUMN))


def to_rich(header: Sequence[str], rows: Sequence[Sequence[str]], title: str = "",
            no_wrap: Sequence[str] = ()) -> Table:
    """A rich table; the ``no_wrap`` columns (ids, codes, numbers) are never broken."""
    from rich import box
    from rich.text import Text

    # no vertical rules: two spaces between columns leave more room for the cells
    table = Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=(0, 0), show_edge=False)
    add_columns(table, header, rows, no_wrap)
    for row in rows:
        table.add_row(*(Text(str(c)) for c in row))
    return table


def render_text(fmt: TableFormat, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The table as text in a plain format (``md``, ``csv``, ``tsv``)."""
    if fmt == "md":
        return to_markdown(header, rows)
    if fmt == "csv":
        return to_csv(header, rows)
    if fmt == "tsv":
        return to_csv(header, rows, "\t")
    raise ValueError(f"{fmt!r} is not a plain-text table format")
