"""Tables that fit the terminal: ids shorten first, then the least important columns give way.

Rich shrinks columns that do not fit until they wrap over many lines or vanish, which
dropped the name and id columns at 80 columns and wrapped ids over six lines at 120. Here
no cell ever wraps: a table is first tried whole, then with its ids shortened (as the
dashboard shows them; any unique prefix is accepted back), then without the columns that
matter least, one at a time, and says which it hid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "FittedTable", "Part", "fit", "fit_line"]

_UNBOUNDED = 100_000
"""A width wide enough to measure a table's natural (unwrapped) width."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column's header, cells and how readily it gives way.

    ``give_way`` 0 means never hidden (names, ids); higher numbers are hidden first.
    ``short`` is a narrower form of the cells (shortened ids), tried before hiding anything.
    """

    header: str
    cells: Sequence[RenderableType]
    give_way: int = 0
    justify: JustifyMethod = "left"
    short: Sequence[RenderableType] | None = None


@dataclass(frozen=True, slots=True)
class FittedTable:
    """The table to print and the headers of the columns hidden to make it fit."""

    table: Table
    hidden: tuple[str, ...]

    def note(self, width: int) -> str | None:
        """A line saying what was hidden and how to see it, or None."""
        if not self.hidden:
            return None
        return (
            f"hidden to fit {width} columns: {', '.join(self.hidden)} "
            "(widen the terminal, or --output json / csv for every field)"
        )


def _table(columns: Sequence[Column], *, short: bool) -> Table:
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column.header, justify=column.justify, no_wrap=True)
    cells = [
        column.short if short and column.short is not None else column.cells for column in columns
    ]
    for row in zip(*cells, strict=True):
        table.add_row(*row)
    return table


def _width(console: Console, table: Table) -> int:
    return console.measure(table, options=console.options.update(width=_UNBOUNDED)).maximum


def fit(console: Console, columns: Sequence[Column]) -> FittedTable:
    """``columns`` as a table no wider than ``console``, giving way as the module says."""
    width = console.width
    whole = _table(columns, short=False)
    if _width(console, whole) <= width:
        return FittedTable(whole, ())
    kept = list(columns)
    hidden: list[str] = []
    table = _table(kept, short=True)
    by_giving_way = sorted(
        (column for column in columns if column.give_way > 0),
        key=lambda column: -column.give_way,
    )
    for column in by_giving_way:
        if _width(console, table) <= width:
            break
        kept.remove(column)
        hidden.append(column.header)
        table = _table(kept, short=True)
    return FittedTable(table, tuple(hidden))


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a one-line record (``tail``): its text, the cells it takes at least
    (padded, right-aligned when ``right``) and how readily it gives way, as `Column`."""

    text: str | Text
    width: int = 0
    give_way: int = 0
    right: bool = False


def _line(parts: Sequence[Part]) -> Text:
    line = Text()
    for index, part in enumerate(parts):
        text = Text(part.text) if isinstance(part.text, str) else part.text.copy()
        pad = " " * max(part.width - text.cell_len, 0)
        if index:
            line.append("  ")
        line.append_text(Text(pad) + text if part.right else text + Text(pad))
    line.rstrip()
    return line


def fit_line(width: int, parts: Sequence[Part]) -> Text:
    """``parts`` as one line no wider than ``width``: the parts that matter least give way
    one at a time (highest ``give_way`` first), then the line is cut with an ellipsis."""
    kept = list(parts)
    line = _line(kept)
    for part in sorted((p for p in parts if p.give_way > 0), key=lambda p: -p.give_way):
        if line.cell_len <= width:
            break
        kept.remove(part)
        line = _line(kept)
    line.truncate(width, overflow="ellipsis")
    return line
