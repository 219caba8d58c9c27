"""The journal interface: what the batch machinery asks of whatever remembers a bulk job's items.

Two stores implement it: :class:`~confirma_async.Journal` (an append-only JSONL file, the embedded
default for one process) and the PostgreSQL job store (``confirma_async.postgres``, many workers on
many hosts over one job). The submitter, the jobs and the exactly-once rules (``jobs``,
``invoices``, ``actions``) are the same code for both: they only call the methods below.

The contract, per ``(kind, key)``:

* :meth:`JournalStore.get` gives the last recorded state, or ``None`` when the store knows nothing
  of the key. An entry that is ``done`` is never sent again; one that is ``maybe_sent`` (a request
  may have been applied and no outcome was recorded) is looked up before anything is re-sent
  (invoices), or reported as outcome unknown and never re-sent (actions).
* :meth:`JournalStore.sending` is called before an item's first request. It may refuse (raise
  :class:`~confirma_async.JournalError`) when the store can no longer promise that a later run
  will see the item as possibly sent; the stream then stops, and nothing more is sent.
* :meth:`JournalStore.finished` records an item's outcome in this run.
* :meth:`JournalStore.open` binds the store to a target (the base URL) and a client fingerprint,
  refusing another binding unless ``rebind``; :meth:`JournalStore.close` ends the run.

The methods are synchronous and cheap: they run on the hot path of every item. A store that
writes to a database buffers and writes in batches, and must make up for what a crash loses (the
PostgreSQL store treats every item claimed by a dead worker as possibly sent).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .journal import JournalEntry
from .results import BatchKey

__all__ = ["JournalEntry", "JournalStore"]


@runtime_checkable
class JournalStore(Protocol):
    """What the batch submitter needs of a journal (see the module docstring for the contract)."""

    def open(
        self, target: str | None = None, *, client: str | None = None, rebind: bool = False
    ) -> None:
        """Start a run bound to ``target`` and ``client`` (``JournalError`` on another binding)."""

    def close(self) -> None:
        """End the run (safe to call more than once)."""

    def get(self, kind: str, key: BatchKey) -> JournalEntry | None:
        """The last recorded state of ``key``, or ``None``."""

    def sending(self, kind: str, key: BatchKey, content: int | None = None) -> None:
        """Record that the first request for ``key`` (with content hash ``content``) goes now."""

    def finished(
        self,
        kind: str,
        key: BatchKey,
        status: str,
        *,
        unknown: bool,
        attempts: int,
        error: str | None,
    ) -> None:
        """Record ``key``'s outcome in this run (``CREATED``, ``ALREADY_EXISTS``, ``FAILED``)."""
