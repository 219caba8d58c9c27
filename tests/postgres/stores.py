"""The two journal stores behind one harness, so the contract tests read the same for both.

``JsonlStore`` is the embedded default (a JSONL ``Journal`` in a temp dir, one process);
``PostgresStore`` the job store (a job in a real PostgreSQL database, worked by ``BulkJob.work``).
Both run the same batch machinery (``client.batch``) through the journal interface.

* ``run(client, items)``: one run of the bulk job over ``items`` (the PostgreSQL job is loaded on
  the first run; a later run is ``retry-failed`` then ``work``); returns the results it produced.
* ``states()``: what the store records per key (``created``, ``already_exists``, ``failed``,
  ``sending``, or ``pending``).
* ``crashed_while_sending(client, items, keys)``: the state a process leaves when it dies after
  starting to send ``keys`` (the JSONL journal's last lines are SENDING; the job's rows are held by
  a worker whose lease ran out).
* ``journal(target)``: a ``JournalStore`` of a fresh run over ``items``, opened for ``target``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from confirma_async import BatchResult, ConfirmaClient, JobStore, Journal, JournalStore
from confirma_async.postgres import _jobs_sql as sql
from confirma_async.postgres._jobs_journal import ClaimedJournal

Item = dict[str, Any]


async def fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run one query on its own connection (for what a test reads or changes directly)."""
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def number(item: Item) -> int:
    result: int = item["invoice"]["header"]["number"]
    return result


class Store(Protocol):
    async def run(
        self, client: ConfirmaClient, items: Sequence[Item]
    ) -> list[BatchResult[Any, Any]]: ...

    async def states(self) -> dict[int, str]: ...

    async def crashed_while_sending(
        self, client: ConfirmaClient, items: Sequence[Item], keys: set[int]
    ) -> None: ...

    async def journal(self, items: Sequence[Item], target: str) -> JournalStore: ...

    async def close(self) -> None: ...


class JsonlStore:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "upload.jsonl"
        self._open: list[Journal] = []

    async def run(
        self, client: ConfirmaClient, items: Sequence[Item]
    ) -> list[BatchResult[Any, Any]]:
        async with client.batch(8, journal=self.path).submit_invoices(items) as results:
            return [result async for result in results]

    async def states(self) -> dict[int, str]:
        journal = Journal(self.path)
        journal.open()
        journal.close()
        lines = self.path.read_text().splitlines()
        keys = {int(line.split('"key":')[1].split(",")[0]) for line in lines if '"key"' in line}
        out = {}
        for key in keys:
            entry = journal.get("invoice", key)
            assert entry is not None
            out[key] = entry.status.lower()
        return out

    async def crashed_while_sending(
        self, client: ConfirmaClient, items: Sequence[Item], keys: set[int]
    ) -> None:
        journal = Journal(self.path)
        journal.open(client.base_url)
        try:
            for item in items:
                if number(item) in keys:
                    journal.sending("invoice", number(item))
        finally:
            journal.close()

    async def journal(self, items: Sequence[Item], target: str) -> JournalStore:
        journal = Journal(self.path)
        journal.open(target)
        self._open.append(journal)
        return journal

    async def close(self) -> None:
        for journal in self._open:
            journal.close()


class PostgresStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.store: JobStore | None = None
        self.job_id: int | None = None

    async def _job(self, items: Sequence[Item]) -> Any:
        if self.store is None:
            self.store = await JobStore.connect(self.dsn)
        if self.job_id is None:
            job = await self.store.load(items)
            self.job_id = job.id
            return job
        return await self.store.job(self.job_id)

    async def run(
        self, client: ConfirmaClient, items: Sequence[Item]
    ) -> list[BatchResult[Any, Any]]:
        rerun = self.job_id is not None
        job = await self._job(items)
        if rerun:
            await job.retry_failed()
        results: list[BatchResult[Any, Any]] = []
        await job.work(client, concurrency=8, lease=30, poll=0.05, on_result=results.append)
        return results

    async def states(self) -> dict[int, str]:
        assert self.store is not None
        assert self.job_id is not None
        job = await self.store.job(self.job_id)
        return {int(r.key): r.state for r in [r async for r in job.results()] if r.key is not None}

    async def crashed_while_sending(
        self, client: ConfirmaClient, items: Sequence[Item], keys: set[int]
    ) -> None:
        job = await self._job(items)
        conn = await asyncpg.connect(self.dsn)
        try:  # a worker claimed everything, started sending ``keys``, and died (lease ran out)
            dead = await conn.fetchval(sql.REGISTER_WORKER, job.id, "elsewhere", 1, 30.0)
            await conn.fetch(sql.CLAIM, job.id, dead, len(items), 0)
            await conn.execute(
                "UPDATE confirma_job_items SET state = 'sending' "
                "WHERE job_id = $1 AND key = ANY($2)",
                job.id,
                [str(k) for k in keys],
            )
            await conn.execute(
                "UPDATE confirma_job_workers SET lease_until = now() - interval '1 s' "
                "WHERE id = $1",
                dead,
            )
        finally:
            await conn.close()

    async def journal(self, items: Sequence[Item], target: str) -> JournalStore:
        job = await self._job(items)
        conn = await asyncpg.connect(self.dsn)
        try:  # what Worker.run does before its stream starts: register, bind, claim
            worker = await conn.fetchval(sql.REGISTER_WORKER, job.id, "here", 1, 30.0)
            row = await conn.fetchrow(sql.BIND, job.id, target, None)
            journal = ClaimedJournal(job.id, worker, (row["target"], row["client"]))
            for claimed in await conn.fetch(sql.CLAIM, job.id, worker, len(items), 0):
                journal.claimed[int(claimed["key"])] = (claimed["seq"], claimed["maybe_sent"], None)
        finally:
            await conn.close()
        journal.valid_until = float("inf")
        journal.open(target)
        return journal

    async def close(self) -> None:
        if self.store is not None:
            await self.store.aclose()
