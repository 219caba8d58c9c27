"""Bulk submission: bounded concurrency, one result per item, no duplicates, resumable.

::

    async with ConfirmaClient(api_key=token) as client:
        batch = client.batch(concurrency=32, journal="upload.jsonl")
        async with batch.submit_invoices(read_invoices()) as results:
            async for result in results:
                if not result.ok:
                    print(result.key, result.error)

        summary = await batch.run(batch.submit_invoices(read_invoices()))  # counts only

The guarantees (and where they end) are described in ``docs/guides/bulk-upload.md``. The pieces:
``submitter`` (the public entry), ``window`` (bounded concurrency), ``jobs`` (one item's run),
``invoices`` and ``actions`` (what is sent and reconciled), ``journal`` (resuming), ``_store``
(the journal interface, shared with the PostgreSQL job store), ``rate`` (the requests-per-second
cap), ``results`` (what is reported).
"""

from __future__ import annotations

from ..errors import BatchBusyError, JournalError
from ._store import JournalStore
from .actions import ActionKeyFunc, default_action_key
from .invoices import InvoiceResponse
from .journal import Journal
from .results import BatchKey, BatchResult, BatchStats, BatchStatus, BatchSummary
from .submitter import BatchStream, BatchSubmitter

__all__ = [
    "ActionKeyFunc",
    "BatchBusyError",
    "BatchKey",
    "BatchResult",
    "BatchStats",
    "BatchStatus",
    "BatchStream",
    "BatchSubmitter",
    "BatchSummary",
    "InvoiceResponse",
    "Journal",
    "JournalError",
    "JournalStore",
    "default_action_key",
]
