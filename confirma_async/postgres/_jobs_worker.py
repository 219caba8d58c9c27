"""One worker over a bulk job: claim chunks under a lease, send through the batch machinery, flush.

The worker registers itself (a row with a lease), renews the lease in the background, claims items
in chunks (``FOR UPDATE SKIP LOCKED``: no two workers get the same row), feeds them to
``client.batch(...)`` with a :class:`ClaimedJournal`, and writes the results back in batches. It
ends when no open item is left that another live worker holds (it waits for those: if their
holder dies, it takes them over once the lease runs out).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from .._core.json import loads
from .._core.tasks import stop_tasks
from ..batch.jobs import as_model
from ..batch.journal import client_fingerprint
from ..batch.results import BatchKey, BatchResult, BatchStatus, BatchSummary
from ..errors import JournalError
from ..models.actions import InvoiceAction
from . import _jobs_sql as sql
from ._jobs_journal import ClaimedJournal

if TYPE_CHECKING:
    from ..client import ConfirmaClient

FLUSH_INTERVAL = 1.0
"""Seconds at most between two writes of results (``status`` sees progress at that pace)."""

_STATE = {
    BatchStatus.CREATED: "created",
    BatchStatus.ALREADY_EXISTS: "already_exists",
    BatchStatus.FAILED: "failed",
}


class Worker:
    """Works job ``job_id`` with ``client`` until nothing is left for it (see the module doc)."""

    def __init__(
        self,
        pool: Any,
        job_id: int,
        kind: str,
        client: ConfirmaClient,
        *,
        concurrency: int,
        claim_size: int,
        lease: float,
        poll: float,
        flush_size: int,
        max_attempts: int,
        on_result: Callable[[BatchResult[Any, Any]], object] | None,
    ) -> None:
        self._pool = pool
        self._job_id = job_id
        self._kind = kind
        self._client = client
        self._concurrency = concurrency
        self._claim_size = claim_size
        self._lease = lease
        self._poll = poll
        self._flush_size = flush_size
        self._max_attempts = max_attempts
        self._on_result = on_result
        self._journal: ClaimedJournal | None = None
        self._seq_of: dict[int, int] = {}  # stream index -> item seq
        self._action_keys: dict[int, tuple[InvoiceAction, str]] = {}  # id(action) -> it, its key
        self._rows: list[tuple[Any, ...]] = []
        self._claims: Any = None  # the connections of a run (see ``run``)
        self._writes: Any = None
        self._write_lock = asyncio.Lock()  # flushes share ``_writes``, one at a time
        self._next_seq = 0  # where this worker's next claim of pending items starts
        self._reclaimed_at = time.monotonic()  # when it last looked for dead workers' items
        self.summary = BatchSummary()

    async def run(self) -> BatchSummary:
        """Work until done; return the counts of the items this worker finished."""
        async with self._pool.acquire() as conn:
            worker_id = await conn.fetchval(
                sql.REGISTER_WORKER, self._job_id, socket.gethostname(), os.getpid(), self._lease
            )
            binding = await self._bind(conn)
        journal = self._journal = ClaimedJournal(self._job_id, worker_id, binding)
        journal.valid_until = time.monotonic() + self._lease * 0.75
        started = time.perf_counter()
        try:
            # One connection each for claims, writes and the lease, held for the whole run: a
            # pooled connection is reset (one more round trip) every time it goes back.
            async with contextlib.AsyncExitStack() as held:
                self._claims, self._writes, lease = [
                    await held.enter_async_context(self._pool.acquire()) for _ in range(3)
                ]
                renewer = asyncio.create_task(self._renew(journal, lease))
                try:
                    await self._work(journal)
                finally:
                    await stop_tasks([renewer])
        finally:
            self.summary.elapsed = time.perf_counter() - started
            await asyncio.shield(self._stop(journal))
        return self.summary

    async def _bind(self, conn: Any) -> tuple[str | None, str | None]:
        client = self._client
        fingerprint = None if client.client_id is None else client_fingerprint(client.client_id)
        row = await conn.fetchrow(sql.BIND, self._job_id, client.base_url, fingerprint)
        return row["target"], row["client"]

    async def _work(self, journal: ClaimedJournal) -> None:
        batch = self._client.batch(
            self._concurrency, journal=journal, max_attempts=self._max_attempts
        )
        items = self._items(journal)
        stream: Any = (
            batch.submit_invoices(items)
            if self._kind == "invoice"
            else batch.submit_actions(items, key=self._action_key)
        )
        flusher = asyncio.create_task(self._flush_every(journal, FLUSH_INTERVAL))
        try:
            async with stream:
                async for result in stream:
                    self._record(result)
                    if len(self._rows) >= self._flush_size:
                        await self._flush(journal)
        finally:
            await stop_tasks([flusher])
            await asyncio.shield(self._flush(journal))
        if journal.lost is not None:  # its last results were for items others had taken over
            raise JournalError(f"worker {journal.worker_id}: {journal.lost}")

    async def _items(self, journal: ClaimedJournal) -> AsyncIterator[Any]:
        """The claimed items, chunk after chunk, until no other worker holds open ones."""
        index = 0
        while True:
            conn = self._claims
            rows = await self._claim(conn, journal.worker_id)
            if not rows:
                if journal.lost is not None:
                    raise JournalError(f"worker {journal.worker_id}: {journal.lost}")
                others = await conn.fetchval(sql.OTHERS_OPEN, self._job_id, journal.worker_id)
            if not rows:
                if not others:
                    return
                # Held by live workers: wait for them (or for their lease to run out). Results
                # not written yet keep this worker's own items open for the others: write them.
                await self._flush(journal)
                await asyncio.sleep(self._poll)
                continue
            journal.unyielded.update(row["seq"] for row in rows)
            for row in rows:
                journal.unyielded.discard(row["seq"])
                key: BatchKey | None = row["key"]
                if key is not None and self._kind == "invoice":
                    key = int(key)
                item = _decode(row["body"], self._kind)
                if key is not None:
                    journal.claimed[key] = (row["seq"], row["maybe_sent"], row["content"])
                    if isinstance(item, InvoiceAction):
                        self._action_keys[id(item)] = (item, str(key))
                self._seq_of[index] = row["seq"]
                index += 1
                yield item

    async def _claim(self, conn: Any, worker_id: int) -> list[Any]:
        """The next chunk: dead workers' items (looked for every half lease), else pending ones.

        Pending ones from where this worker left off, then from the start.
        """
        size, now = self._claim_size, time.monotonic()
        if now - self._reclaimed_at > self._lease / 2:
            self._reclaimed_at = now
            rows: list[Any] = await conn.fetch(sql.RECLAIM, self._job_id, worker_id, size)
            if rows:
                return rows
        for start in (self._next_seq, 0) if self._next_seq else (0,):
            rows = await conn.fetch(sql.CLAIM, self._job_id, worker_id, size, start)
            if rows:
                self._next_seq = max(row["seq"] for row in rows) + 1
                return rows
        self._reclaimed_at = now
        return list(await conn.fetch(sql.RECLAIM, self._job_id, worker_id, size))

    def _action_key(self, action: InvoiceAction) -> str:
        held, key = self._action_keys[id(action)]  # held: its id cannot be reused meanwhile
        assert held is action
        return key

    def _record(self, result: BatchResult[Any, Any]) -> None:
        self.summary.add(result)
        seq = self._seq_of.pop(result.index)
        if self._journal is not None and result.key is not None:
            self._journal.refused.pop(result.key, None)  # its result row is written instead
        self._action_keys.pop(id(result.item), None)
        error = result.error
        self._rows.append(
            (
                seq,
                _STATE[result.status],
                result.attempts,
                result.lookups,
                result.outcome_unknown,
                None if error is None else type(error).__name__,
                None if error is None else (str(error) or type(error).__name__)[:2000],
                None,
            )
        )
        if self._on_result is not None:
            self._on_result(result)

    async def _flush(self, journal: ClaimedJournal) -> None:
        """Write the sent marks and the results gathered since the last flush (batched).

        Several flushes may overlap (each takes what was gathered when it started); a failed one
        puts its rows back for the next.
        """
        started, rows = journal.started, self._rows
        if not started and not rows:
            return
        journal.started, self._rows = [], []
        try:
            async with self._write_lock:
                conn = self._writes
                content = dict(started)
                finished = {row[0] for row in rows}
                marks = [pair for pair in started if pair[0] not in finished]
                rows = [(*row[:-1], content.get(row[0])) for row in rows]
                if marks:  # only those still in flight: the others go straight to final
                    seqs, contents = zip(*marks, strict=True)
                    await conn.execute(
                        sql.MARK_SENDING, self._job_id, journal.worker_id, seqs, contents
                    )
                    started = []
                if rows:
                    columns = list(zip(*rows, strict=True))
                    done = await conn.execute(sql.FINISH, self._job_id, journal.worker_id, *columns)
                    _note_taken_over(journal, len(rows) - int(done.split()[-1]))
        except BaseException:
            journal.started[:0] = started
            self._rows[:0] = rows
            raise

    async def _flush_every(self, journal: ClaimedJournal, interval: float) -> None:
        """Write results at least every ``interval`` seconds, so that a slow trickle is seen."""
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):  # the database is away: the next one retries
                await self._flush(journal)

    async def _renew(self, journal: ClaimedJournal, conn: Any) -> None:
        """Extend the lease every quarter of it; count it valid for 3/4 of it from each ask."""
        while True:
            await asyncio.sleep(self._lease / 4)
            asked = time.monotonic()
            try:
                renewed = await conn.fetchval(sql.RENEW, journal.worker_id, self._lease)
            except Exception:  # the database is unreachable: keep trying while the lease lasts
                continue
            if renewed is None:
                journal.lost = "its lease ran out before it was renewed"
                journal.valid_until = 0.0
                return
            journal.valid_until = asked + self._lease * 0.75

    async def _stop(self, journal: ClaimedJournal) -> None:
        """Hand back what was never sent, give up the lease: the rest passes on at once."""
        with contextlib.suppress(Exception):
            async with self._pool.acquire() as conn:
                unsent = journal.unsent() if journal.lost is None else []
                if unsent:
                    await conn.execute(sql.RELEASE, self._job_id, journal.worker_id, unsent)
                await conn.execute(sql.STOP_WORKER, journal.worker_id)


def _note_taken_over(journal: ClaimedJournal, lost: int) -> None:
    """``lost`` results were not written: those items were no longer this worker's."""
    if lost > 0:
        journal.lost = (
            f"{lost} of its results came after its lease ran out; the workers that took those "
            "items over settle them by lookup"
        )
        journal.valid_until = 0.0


def _decode(body: str, kind: str) -> Any:
    """The item to hand to the batch: the wire mapping (an action decoded, to key it)."""
    try:
        item = loads(body)
    except ValueError:
        return body  # the batch reports it as invalid
    if kind == "action":
        try:
            return as_model(item, InvoiceAction, "action")
        except Exception:
            return item  # the batch reports why, without a request
    return item
