"""Record writers for the listing commands: JSONL and CSV on a binary stream.

JSONL: one wire-format object a line (``to_wire`` + the library's exact-decimal JSON). CSV: a
header of the model's wire field names plus a last ``extra`` column holding any undocumented
fields the server sent (a JSON object, empty when there are none); nested objects and lists are
JSON text, ``null`` is an empty cell, booleans are ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any, Protocol

from .._core.json import dumps
from ..models import to_wire, wire_names

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


class CsvWriter:
    """CSV with a header of ``cls``'s wire field names (written at once) and an ``extra`` column."""

    def __init__(self, out: IO[bytes], cls: type[Any]) -> None:
        self._out = out
        self.columns = wire_columns(cls)
        """The header, in model field order (``extra`` last)."""
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer)
        self._csv.writerow([*self.columns, EXTRA_COLUMN])

    def write(self, record: Any) -> None:
        """Write ``record`` as one row."""
        data = to_wire(record)
        row = [cell(data.pop(column, None)) for column in self.columns]
        row.append(cell(data) if data else "")
        self._csv.writerow(row)
        if self._buffer.tell() >= _FLUSH_AT:
            self._drain()

    def flush(self) -> None:
        """Write the buffered rows and flush the stream."""
        self._drain()
        self._out.flush()

    def _drain(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._out.write(text.encode("utf-8"))
            self._buffer.seek(0)
            self._buffer.truncate()


def wire_columns(cls: type[Any]) -> list[str]:
    """The wire names of a model's fields (everything but ``extra`` and ``raw_body``)."""
    return wire_names(cls)


def cell(value: Any) -> str:
    """One CSV cell: scalars as text, ``None`` empty, booleans lower-case, the rest JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value).decode("utf-8")
    return str(value)


def writer_for(fmt: str, out: IO[bytes], cls: type[Any]) -> RecordWriter:
    """The writer for ``--format``: ``jsonl`` or ``csv``."""
    return CsvWriter(out, cls) if fmt == "csv" else JsonlWriter(out)
