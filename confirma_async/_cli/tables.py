"""Rich tables for people: ``--format table`` of the listings, and tables written to files.

A table needs its rows to size its columns, so ``TableWriter`` holds them and prints when the
export ends (or every ``CHUNK`` rows, a new table under the last: a table is for reading, use
JSONL or CSV for large exports). Written to a file or a pipe, a table has no colour and no
trailing spaces (rich pads every cell to the column width; :func:`print_plain` strips them).
"""

from __future__ import annotations

import re
import sys
from typing import IO, Any

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

from ..models import to_wire
from .flatten import layout

CHUNK = 5_000
"""Rows a table holds before it is printed (the next rows make another table)."""

_FILE_WIDTH = 1_000
"""Width of a table written to a file: as wide as its cells need, never wrapped at 80."""

_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")


def shown(value: Any) -> str:
    """A cell to read: ``None`` empty, a timestamp to the second (``2026-01-05 09:00:00Z``)."""
    if value is None:
        return ""
    text = str(value)
    match = _TIMESTAMP.match(text)
    return f"{match[1]} {match[2]}{match[3]}" if match else text


def print_plain(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable``; to a file or pipe without the padding after each line's last cell."""
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as capture:
        console.print(renderable)
    text = "\n".join(line.rstrip() for line in capture.get().splitlines())
    console.file.write(text + "\n")
    console.file.flush()


def stdout_console() -> Console:
    """A console on stdout: the terminal's width there, otherwise wide enough for any row."""
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=_FILE_WIDTH)
    return console


class TableWriter:
    """Records of one model as a rich table on stdout (nested objects dotted, lists counted)."""

    def __init__(self, out: IO[bytes], cls: type[Any]) -> None:
        self._out = out
        self._layout = layout(cls, expand=False)
        self._rows: list[list[str]] = []
        self._printed = 0
        self._console: Console | None = None

    def write(self, record: Any) -> None:
        """Hold ``record``'s row (printed at the end, or when ``CHUNK`` rows are held)."""
        for row in self._layout.rows(to_wire(record)):
            self._rows.append([shown(value) for value in row])
        if len(self._rows) >= CHUNK:
            self._print()

    def flush(self) -> None:
        """Nothing until the end: the rows are printed by :meth:`close`."""
        self._out.flush()

    def close(self) -> None:
        """Print the rows held (an empty table says so)."""
        if self._rows or not self._printed:
            self._print()

    def _print(self) -> None:
        self._out.flush()
        console = self._console = self._console or stdout_console()
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        for column in self._layout.columns:
            table.add_column(column, overflow="fold")
        for row in self._rows:
            table.add_row(*row)
        if not self._rows:
            table.caption = "no records"
        print_plain(console, table)
        self._printed += len(self._rows)
        self._rows.clear()
