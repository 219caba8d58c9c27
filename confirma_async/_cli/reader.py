"""Reading a JSONL input lazily: one wire-format object a line, validated into a model.

A line that is not JSON, not an object, or breaks a documented rule is reported with its line
number and skipped; the batch never sees it. Blank lines are ignored. The batch numbers the items
it receives (``index``); :meth:`ModelLines.line_of` turns an index back into a line number, and
the mapping holds only the items the batch has not answered yet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import IO, Any, Generic, TypeVar

from .. import ConfirmaError
from .._core.json import loads
from ..models import from_wire

M = TypeVar("M")

_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"


class ModelLines(Generic[M]):
    """An iterable of models parsed from ``stream`` (binary), one per valid non-blank line.

    ``on_bad(line, reason)`` is called for every malformed line, ``on_blank()`` for blank ones.
    ``check(model)`` may raise to reject a model (a rule only its enclosing request knows).
    Iterate it once.
    """

    def __init__(
        self,
        stream: IO[bytes],
        cls: type[M],
        *,
        on_bad: Callable[[int, str], None],
        on_blank: Callable[[], None] = lambda: None,
        check: Callable[[M], object] | None = None,
        prewrite: Callable[[dict[str, Any]], object | None] | None = None,
    ) -> None:
        self._stream = stream
        self._cls = cls
        self._on_bad = on_bad
        self._on_blank = on_blank
        self._lines: dict[int, int] = {}
        self._check = check
        self._prewrite = prewrite
        self.malformed = 0
        """Lines reported as malformed so far."""

    def __iter__(self) -> Iterator[M]:
        index = 0
        for number, raw in enumerate(self._stream, start=1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw.strip():
                self._on_blank()
                continue
            try:
                model = self._parse(raw)
            except (ValueError, ConfirmaError) as exc:
                self.malformed += 1
                self._on_bad(number, _reason(exc))
                continue
            self._lines[index] = number
            index += 1
            yield model

    def line_of(self, index: int) -> int | None:
        """The line number of the batch item ``index`` (forgotten once asked)."""
        return self._lines.pop(index, None)

    def _parse(self, raw: bytes) -> M:
        # Without its line ending, so that an error at the end of the line is reported there
        # (json counts the newline as the start of a second line: "column 1").
        data = loads(raw.rstrip(b"\r\n"))
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {_json_type(data)}")
        if self._prewrite is not None and (written := self._prewrite(data)) is not None:
            return written  # type: ignore[return-value]  # checked and written: no model needed
        model = from_wire(data, self._cls)
        if self._check is not None:
            self._check(model)
        return model


def count_lines(path: str) -> int | None:
    """The number of lines in the file at ``path`` (read in chunks); ``None`` for a stream."""
    if path == "-" or not os.path.isfile(path):
        return None  # stdin or a pipe: counting would consume it
    count = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        where = "at the end of the line" if exc.pos >= len(exc.doc) else f"column {exc.pos + 1}"
        return f"invalid JSON: {exc.msg} ({where})"
    if isinstance(exc, UnicodeDecodeError):
        return "invalid UTF-8"
    return str(exc) or type(exc).__name__


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
