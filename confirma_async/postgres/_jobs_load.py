"""Loading a bulk job: every input item becomes one row, streamed in with ``COPY``.

An item is stored as the JSON text it will be sent from (a model is written in wire format first),
with its key: the invoice number, or an action's content key (``default_action_key``, counting
identical actions). A line that is not a JSON object is stored as ``failed`` at once, and so is a
key repeated in the job (after the first copy): both have a result without costing a request, and
``retry-failed`` leaves them alone. Everything else is checked by the worker that sends it, with
the same rules as ``client.batch()``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .._core.json import dumps
from ..batch.actions import default_action_key
from ..models import from_wire, to_wire
from ..models.actions import InvoiceAction
from ..models.invoices import InvoiceRequest
from . import _jobs_sql as sql

CHUNK = 5_000
"""Rows per ``COPY`` batch (memory stays O(CHUNK) whatever the input)."""

_BOM = "\ufeff"

Row = tuple[Any, ...]


class Rows:
    """Turns input items into item rows of job ``job_id``; counts them."""

    def __init__(self, job_id: int, kind: str) -> None:
        self.job_id = job_id
        self.kind = kind
        self.count = 0
        self.malformed = 0
        self._occurrences: dict[str, int] = {}

    def row(self, item: object, line: int) -> Row | None:
        """The row of one item (``None`` for a blank line)."""
        if isinstance(item, bytes):
            item = item.decode("utf-8", errors="replace")
        if isinstance(item, str):
            text = item.removeprefix(_BOM).strip() if line == 1 else item.strip()
            if not text:
                return None
            return self._from_text(text, line)
        if isinstance(item, InvoiceRequest | InvoiceAction):
            body = dumps(to_wire(item)).decode()
            return self._pending(line, self._key(item), body)
        if isinstance(item, Mapping):
            return self._pending(line, self._key(item), dumps(item).decode())
        return self._failed(line, repr(item)[:200], f"not a JSON object: {type(item).__name__}")

    def _from_text(self, text: str, line: int) -> Row:
        try:
            value = json.loads(text)
        except ValueError as exc:
            return self._failed(line, text, f"line {line}: not JSON ({exc})")
        if not isinstance(value, dict):
            return self._failed(line, text, f"line {line}: not a JSON object")
        return self._pending(line, self._key(value), text)

    def _key(self, item: object) -> str | None:
        if self.kind == "invoice":
            number = _invoice_number(item)
            return None if number is None else str(number)
        try:
            action = item if isinstance(item, InvoiceAction) else from_wire(item, InvoiceAction)
            first = default_action_key(action)
        except Exception:  # the worker reports why, with the same checks as a batch
            return None
        occurrence = self._occurrences[first] = self._occurrences.get(first, 0) + 1
        return first if occurrence == 1 else default_action_key(action, occurrence)

    def _pending(self, line: int, key: str | None, body: str) -> Row:
        self.count += 1
        return (self.job_id, self.count - 1, line, key, "pending", None, None, None, body)

    def _failed(self, line: int, body: str, reason: str) -> Row:
        self.count += 1
        self.malformed += 1
        now = datetime.now(UTC)
        error_type = "RequestValidationError"
        return (self.job_id, self.count - 1, line, None, "failed", error_type, reason, now, body)


def _invoice_number(item: object) -> int | None:
    if isinstance(item, InvoiceRequest):
        return item.invoice_number
    try:
        number = item["invoice"]["header"]["number"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        return None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


async def copy_items(
    conn: Any, rows: Rows, items: Iterable[object] | AsyncIterable[object]
) -> None:
    """Stream ``items`` into the job's rows (``COPY`` in chunks), then fail repeated keys."""
    chunk: list[Row] = []
    async for line, item in _numbered(items):
        row = rows.row(item, line)
        if row is None:
            continue
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await _copy(conn, chunk)
            chunk = []
    if chunk:
        await _copy(conn, chunk)
    repeated = await conn.fetch(sql.REPEATED_KEYS, rows.job_id)
    if repeated:
        seqs = [row["seq"] for row in repeated]
        await conn.execute(sql.FAIL_REPEATED, rows.job_id, seqs, [r["error"] for r in repeated])
    await conn.execute(sql.SET_TOTAL, rows.job_id, rows.count)
    await conn.execute("ANALYZE confirma_job_items, confirma_job_bodies")  # plans for the claims


async def _copy(conn: Any, chunk: list[Row]) -> None:
    """One chunk into both tables (a row's last field is its body)."""
    await conn.copy_records_to_table(
        "confirma_job_items", records=[row[:-1] for row in chunk], columns=list(sql.ITEM_COLUMNS)
    )
    await conn.copy_records_to_table(
        "confirma_job_bodies",
        records=[(row[0], row[1], row[-1]) for row in chunk],
        columns=list(sql.BODY_COLUMNS),
    )


async def _numbered(
    items: Iterable[object] | AsyncIterable[object],
) -> AsyncIterator[tuple[int, object]]:
    if isinstance(items, AsyncIterable):
        line = 0
        async for item in items:
            line += 1
            yield line, item
    else:
        for line, item in enumerate(items, start=1):
            yield line, item
