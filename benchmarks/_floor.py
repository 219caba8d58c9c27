"""The least a typed client built on ``aiohttp.ClientSession.request`` can spend per invoice.

Two "floor" sides for the canned-server point of ``bench_bulk.py``. Each is a bare loop (the same
``concurrency`` workers and the same session settings as the bare side) that also does the steps
no validated, typed client can skip, with the submitter's own fastest code for each:

- **floor-dicts**: checks and writes the dict (``_from_dict``: the submitter's compiled writer),
  POSTs it, decodes the 201 into ``InvoiceCreated`` (``decode_created``) and builds the item's
  ``BatchResult`` (its slots filled directly, as the submitter builds it);
- **floor-models**: writes the pre-built model (``encode_invoice``), then the same.

Nothing else: no window, no duplicate guard, no journal, no retries, no statistics, no logging
gate. So ``floor-dicts / peer`` bounds what the dict goal can reach, and ``floor-models / bare``
what the models goal can reach, for any design that sends through ``ClientSession.request``:
the submitter's bookkeeping only adds to these. Figures for context, not goals.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import aiohttp
from yarl import URL

from confirma_async.batch.invoices import _from_dict
from confirma_async.batch.jobs import _new_result
from confirma_async.batch.results import BatchResult, BatchStatus
from confirma_async.models._created_fast import decode_created
from confirma_async.resources.invoices import encode_invoice

FLOOR_SIDES = ("floor-dicts", "floor-models")
FLOOR_LABELS = {
    "floor-dicts": "floor: check+write dict, POST, typed answer",
    "floor-models": "floor: encode model, POST, typed answer",
}


def _from_model(invoice: Any) -> tuple[bytes, int, date]:
    return encode_invoice(invoice), invoice.invoice_number, invoice.invoice.header.date


async def floor(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    concurrency: int,
    items: list[Any],
    dicts: bool,
) -> float:
    """Send ``items`` (dicts or models) with only the unskippable steps; return the seconds."""
    write: Callable[[Any], tuple[bytes, int, date] | None] = _from_dict if dicts else _from_model
    target = URL(url)
    pending = iter(enumerate(items))
    results: list[BatchResult[Any, Any]] = []
    created_status = BatchStatus.CREATED

    async def worker() -> None:
        for index, item in pending:
            written = write(item)
            if written is None:
                raise RuntimeError(f"floor: item {index} is not the usual case")
            body, number, _ = written
            async with session.request(
                "POST", target, data=body, headers=headers, allow_redirects=False
            ) as resp:
                raw = await resp.read()
                if resp.status != 201:
                    raise RuntimeError(f"floor got {resp.status}")
            created = decode_created(raw, None)
            if created is None:
                raise RuntimeError("floor: the answer is not the usual case")
            results.append(  # as the submitter builds it (slots filled directly)
                _new_result(item, number, index, created_status, created, None, 1, 0, 0.0, False,
                            False, None)
            )  # fmt: skip

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if len(results) != len(items):
        raise RuntimeError(f"floor: {len(results)} results for {len(items)} items")
    return elapsed
