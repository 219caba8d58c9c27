"""Record writers for the listing commands: JSONL, CSV and a rich table.

JSONL: one wire-format object a line (``to_wire`` + the library's exact-decimal JSON), everything
the server sent included. CSV: a header of wire names, flattened (see :mod:`.flatten`: nested
objects as dotted columns, a settlement's allocations as rows of their own); ``null`` is an empty
cell, booleans are ``true``/``false``, lists left in one cell are JSON text. With ``extra=True`` a
last ``extra`` column holds the undocumented top-level fields the server sent (a JSON object,
empty when there are none). Table: the same columns for reading, lists counted (see
:mod:`.tables`).
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any, Protocol

from .._core.json import dumps
from ..models import to_wire
from .flatten import layout

EXTRA_COLUMN = "extra"
_FLUSH_AT = 1 << 16


class RecordWriter(Protocol):
    """Writes records of one model to a stream."""

    def write(self, record: Any) -> None:
        """Write one record (buffered)."""
        ...

    def flush(self) -> None:
        """Push everything written so far to the stream."""
        ...

    def close(self) -> None:
        """The export is over: write what is still held."""
        ...


class JsonlWriter:
    """One compact JSON object a line."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out

    def write(self, record: Any) -> None:
        """Write ``record`` as one line."""
        self._out.write(dumps(to_wire(record)) + b"\n")

    def flush(self) -> None:
        """Flush the stream."""
        self._out.flush()

    def close(self) -> None:
        """Flush the stream."""
        self._out.flush()


class CsvWriter:
    """CSV with a flattened header of ``cls``'s wire names, written at once (``extra`` if asked)."""

    def __init__(self, out: IO[bytes], cls: type[Any], *, extra: bool = False) -> None:
        self._out = out
        self._layout = layout(cls)
        self._extra = extra
        self.columns = [*self._layout.columns, *([EXTRA_COLUMN] if extra else [])]
        """The header, in model field order (``extra`` last, when asked for)."""
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer)
        self._csv.writerow(self.columns)

    def write(self, record: Any) -> None:
        """Write ``record`` as one row, or one row per item of its expanded list."""
        data = to_wire(record)
        tail = []
        if self._extra:
            unknown = self._layout.extra(data)
            tail = [cell(unknown) if unknown else ""]
        for row in self._layout.rows(data):
            self._csv.writerow([*map(cell, row), *tail])
        if self._buffer.tell() >= _FLUSH_AT:
            self._drain()

    def flush(self) -> None:
        """Write the buffered rows and flush the stream."""
        self._drain()
        self._out.flush()

    def close(self) -> None:
        """Write the buffered rows and flush the stream."""
        self.flush()

    def _drain(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._out.write(text.encode("utf-8"))
            self._buffer.seek(0)
            self._buffer.truncate()


def cell(value: Any) -> str:
    """One CSV cell: scalars as text, ``None`` empty, booleans lower-case, the rest JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value).decode("utf-8")
    return str(value)


def writer_for(fmt: str, out: IO[bytes], cls: type[Any], *, extra: bool = False) -> RecordWriter:
    """The writer for ``--format``: ``jsonl``, ``csv`` or ``table``."""
    if fmt == "csv":
        return CsvWriter(out, cls, extra=extra)
    if fmt == "table":
        from .tables import TableWriter

        return TableWriter(out, cls)
    return JsonlWriter(out)
