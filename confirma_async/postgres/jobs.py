"""Bulk jobs on PostgreSQL: one job, any number of worker processes on any number of hosts.

::

    async with await JobStore.connect("postgresql://jobs@db/confirma") as store:
        job = await store.load(read_invoices())           # every item a row; prints nothing
        print(job.id)

    # on each host, as many processes as you like:
    async with await JobStore.connect(dsn) as store, ConfirmaClient(api_key=key) as client:
        summary = await store.job(job_id).work(client, concurrency=32)

Every item ends in exactly one final state; an item is stored on the server at most once whatever
dies when (see ``docs/guides/uploads-across-machines.md``). The store implements the same journal
interface as the JSONL journal (``JournalStore``), so the sending, the lookups before a re-send and
the results are the code of ``client.batch()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from .._core.closing import AsyncClosing
from ..batch.results import BatchResult, BatchSummary
from ..errors import ConfigurationError
from . import _jobs_sql as sql
from ._connect import open_pool
from ._jobs_load import Rows, copy_items
from ._jobs_schema import COMPONENT, MIGRATIONS
from ._jobs_status import JobItemResult, JobStatus
from ._jobs_worker import Worker
from ._schema import migrate

if TYPE_CHECKING:
    from ..client import ConfirmaClient

__all__ = ["BulkJob", "JobItemResult", "JobStatus", "JobStore"]

JobKind = Literal["invoice", "action"]


class JobStore(AsyncClosing):
    """Bulk jobs in a PostgreSQL database (extra ``postgres``); made by :meth:`connect`.

    Use it as an async context manager or call :meth:`aclose`. The pool is the caller's when
    given to the constructor (then not closed here).
    """

    def __init__(self, pool: Any, *, owns_pool: bool = False) -> None:
        self._pool = pool
        self._owns_pool = owns_pool

    @classmethod
    async def connect(cls, dsn: str, *, migrate: bool = True, pool_size: int = 8) -> JobStore:
        """Open a pool to ``dsn`` (``postgresql://...``) and, by default, migrate the schema.

        Each running :meth:`BulkJob.work` holds three of the pool's ``pool_size`` connections
        (claims, writes, lease) and briefly a fourth.
        """
        pool = await open_pool(dsn, min_size=1, max_size=pool_size)
        store = cls(pool, owns_pool=True)
        try:
            if migrate:
                await store.migrate()
        except BaseException:
            await store.aclose()
            raise
        return store

    async def migrate(self) -> int:
        """Create or upgrade the store's tables (versioned, safe to run concurrently)."""
        async with self._pool.acquire() as conn:
            return await migrate(conn, COMPONENT, MIGRATIONS)

    async def aclose(self) -> None:
        """Close the pool (if this store opened it)."""
        if self._owns_pool:
            await self._pool.close()

    async def load(
        self,
        items: Iterable[object] | AsyncIterable[object],
        *,
        kind: JobKind = "invoice",
        name: str | None = None,
    ) -> BulkJob:
        """Create a job holding ``items`` (in one transaction: all of them, or no job).

        An item is an ``InvoiceRequest``/``InvoiceAction``, a wire-format mapping, or a line of
        JSON (``str``/``bytes``; blank lines are skipped, a line that is not a JSON object is
        stored as failed). A key repeated in the job is failed at load, never sent twice.
        """
        if kind not in ("invoice", "action"):
            raise ConfigurationError("kind", kind, "must be 'invoice' or 'action'")
        async with self._pool.acquire() as conn, conn.transaction():
            job_id = await conn.fetchval(sql.CREATE_JOB, kind, name)
            await copy_items(conn, Rows(job_id, kind), items)
        return BulkJob(self._pool, job_id, kind)

    async def job(self, job_id: int) -> BulkJob:
        """The job ``job_id`` (:class:`ConfigurationError` if the store has none)."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(sql.JOB, job_id)
        if row is None:
            raise ConfigurationError("job", job_id, "no such job in this store")
        return BulkJob(self._pool, job_id, row["kind"])


class BulkJob:
    """One job of a :class:`JobStore`: work it, watch it, read its results, retry its failures."""

    def __init__(self, pool: Any, job_id: int, kind: str) -> None:
        self._pool = pool
        self.id = job_id
        """The job's id (what ``confirma jobs load`` prints)."""
        self.kind = kind
        """``invoice`` or ``action``."""

    def __repr__(self) -> str:
        return f"BulkJob(id={self.id}, kind={self.kind!r})"

    async def work(
        self,
        client: ConfirmaClient,
        *,
        concurrency: int = 32,
        claim_size: int = 256,
        lease: float = 30.0,
        poll: float = 1.0,
        flush_size: int = 256,
        max_attempts: int = 5,
        on_result: Callable[[BatchResult[Any, Any]], object] | None = None,
    ) -> BatchSummary:
        """Work on this job with ``client`` until no item is left for this worker.

        Items are claimed ``claim_size`` at a time under a lease of ``lease`` seconds (renewed
        every quarter of it; a worker that cannot renew stops sending at 3/4 of it, and its
        claims pass to the others once it has run out). ``poll``: how often to look again while
        other live workers hold the last open items. Results are written every ``flush_size``
        results (and at least every second). Returns the counts of the items this worker
        finished; ``on_result`` sees each of their results. Raises :class:`JournalError` if the
        worker lost its lease (nothing more was sent; what it held is reconciled by the others).
        """
        for name, value in (
            ("concurrency", concurrency),
            ("claim_size", claim_size),
            ("flush_size", flush_size),
            ("max_attempts", max_attempts),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(name, value, "must be an integer >= 1")
        for name, seconds in (("lease", lease), ("poll", poll)):
            if not isinstance(seconds, int | float) or not seconds > 0:
                raise ConfigurationError(name, seconds, "must be a positive number of seconds")
        worker = Worker(
            self._pool,
            self.id,
            self.kind,
            client,
            concurrency=concurrency,
            claim_size=claim_size,
            lease=float(lease),
            poll=float(poll),
            flush_size=flush_size,
            max_attempts=max_attempts,
            on_result=on_result,
        )
        return await worker.run()

    async def status(self, *, window: float = 30.0) -> JobStatus:
        """The job's counts now, its rate over the last ``window`` seconds, and an ETA."""
        async with self._pool.acquire() as conn:
            job = await conn.fetchrow(sql.JOB, self.id)
            counts = await conn.fetch(sql.COUNTS, self.id)
            progress = await conn.fetchrow(sql.PROGRESS, self.id, window)
            failures = await conn.fetch(sql.FAILURES, self.id)
            workers = await conn.fetchval(sql.WORKERS_ALIVE, self.id)
        by_state: dict[str, int] = {}
        unknown = 0
        for row in counts:
            by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
            if row["state"] == "failed" and row["unknown"]:
                unknown += row["n"]
        open_ = sum(by_state.get(s, 0) for s in ("pending", "claimed", "sending"))
        rate = eta = None
        if progress["first"] is not None:
            span = min(window, (progress["now"] - progress["first"]).total_seconds())
            rate = progress["recent"] / span if span > 0 else None
            eta = open_ / rate if rate else None
        return JobStatus(
            job_id=self.id,
            kind=job["kind"],
            name=job["name"],
            total=job["total"],
            pending=by_state.get("pending", 0),
            in_progress=by_state.get("claimed", 0) + by_state.get("sending", 0),
            created=by_state.get("created", 0),
            already_exists=by_state.get("already_exists", 0),
            failed=by_state.get("failed", 0),
            outcome_unknown=unknown,
            workers=workers,
            rate=rate,
            eta=eta,
            failures={
                row["reason"] + (" (outcome unknown)" if row["unknown"] else ""): row["n"]
                for row in failures
            },
            created_at=job["created_at"],
        )

    async def results(self, *, page: int = 5_000) -> AsyncIterator[JobItemResult]:
        """Every item's outcome, in input order, read ``page`` rows at a time."""
        after = 0
        while True:
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(sql.RESULTS, self.id, after, page)
            for row in rows:
                yield JobItemResult(
                    seq=row["seq"],
                    line=row["line"],
                    key=row["key"],
                    state=row["state"],
                    attempts=row["attempts"],
                    lookups=row["lookups"],
                    outcome_unknown=row["unknown"],
                    error_type=row["error_type"],
                    error=row["error"],
                    finished_at=row["finished_at"],
                )
            if len(rows) < page:
                return
            after = rows[-1]["seq"] + 1

    async def retry_failed(self) -> int:
        """Put failed items back to pending (those possibly sent are looked up first); count.

        Items failed at load (malformed, repeated key) stay failed: they would fail again.
        """
        async with self._pool.acquire() as conn:
            done = await conn.execute(sql.RETRY_FAILED, self.id)
        return int(done.split()[-1])
