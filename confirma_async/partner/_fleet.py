"""Fleet polling: many clients' distribution change streams merged into one async iterator.

Each client has its own :class:`~confirma_async.DistributionWatcher` (its own checkpoint) running
in its own task; the first polls are spread evenly over the interval (client ``i`` of ``n`` starts
after ``interval * i / n``), so 500 clients polling every minute send a poll every 120 ms, not
500 at once (and every poll still takes its turn in the partner's fair scheduler). A client's
task hands the merged iterator one record at a time and waits until it has been taken, so
:meth:`FleetWatcher.checkpoint` of a client covers exactly the records of that client the
iterator has given out: persist it after handling a record, as with one watcher.

A client whose poll fails (after the transport's retries) does not stop the others: the error is
logged (``fleet_watch_failed``) and kept in :attr:`FleetWatcher.errors`, and that client's watcher
starts again from its checkpoint after one interval. Any other exception (a bug, e.g. in a wire
alias) stops every client and is raised by the merged iterator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from .._core.closing import AsyncClosing
from .._core.tasks import stop_tasks
from ..errors import ConfirmaError, PagerStateError, PaginationError
from ..models.distribution import DistributionRecord
from ..pagination.coordination import CONTENT_PREFIX
from ..pagination.watch import Clock, DistributionWatcher, Sleep
from ._client import PartnerClient


class _Member:
    """One client's watcher, its checkpoint and the record waiting in the merged queue."""

    __slots__ = ("checkpoint", "client", "pending", "taken", "watcher")

    def __init__(self, client: PartnerClient, checkpoint: Mapping[str, Any] | None) -> None:
        self.client = client
        self.checkpoint = checkpoint
        self.watcher: DistributionWatcher | None = None
        self.pending: tuple[date, str, str] | None = None
        self.taken = asyncio.Event()


class FleetWatcher(AsyncClosing):
    """``async for client_id, record in partner.watch_distributions(...)`` (see the module doc)."""

    def __init__(
        self,
        clients: Sequence[PartnerClient],
        *,
        interval: float,
        since: date | None,
        lookback: timedelta,
        checkpoints: Mapping[str, Mapping[str, Any]] | None,
        clock: Clock | None,
        sleep: Sleep | None,
        logger: Any,
    ) -> None:
        saved = checkpoints or {}
        self._members = {
            c.client_id or "": _Member(c, saved.get(c.client_id or "")) for c in clients
        }
        self._interval = interval
        self._since = since
        self._lookback = lookback
        self._clock = clock
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._log = logger
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._claimed = False
        self._closing = False
        self.errors: dict[str, ConfirmaError] = {}
        """The last error of each client whose poll failed (its watcher was restarted)."""
        for member in self._members.values():  # fail now on a bad since/checkpoint
            self._build(member)

    def checkpoint(self, client_id: str) -> dict[str, Any] | None:
        """The client's checkpoint: the records of it this iterator gave out, none waiting.

        Pass it back in ``checkpoints={client_id: ...}`` after a restart.
        """
        member = self._members[client_id]
        if member.watcher is None:  # pragma: no cover - built in __init__
            return None
        data = member.watcher.checkpoint
        if member.pending is not None:
            _forget(data, member.pending)
        return data

    @property
    def checkpoints(self) -> dict[str, dict[str, Any] | None]:
        """Every client's :meth:`checkpoint`, by client id."""
        return {client_id: self.checkpoint(client_id) for client_id in self._members}

    def _build(self, member: _Member) -> DistributionWatcher:
        member.watcher = member.client.invoices.watch_distributions(
            since=self._since,
            interval=self._interval,
            lookback=self._lookback,
            clock=self._clock,
            sleep=self._sleep,
            checkpoint=member.checkpoint,
        )
        return member.watcher

    def __aiter__(self) -> AsyncIterator[tuple[str, DistributionRecord]]:
        if self._claimed:
            raise PagerStateError("this fleet watcher was already iterated or closed")
        self._claimed = True
        count = len(self._members)
        for i, (client_id, member) in enumerate(self._members.items()):
            offset = self._interval * i / count
            self._tasks.append(asyncio.create_task(self._run(client_id, member, offset)))
        return self._merged()

    async def _merged(self) -> AsyncIterator[tuple[str, DistributionRecord]]:
        while True:
            client_id, record = await self._queue.get()
            if isinstance(record, BaseException):  # a bug, not an API error: stop everything
                await self.aclose()
                raise record
            member = self._members[client_id]
            member.pending = None
            member.taken.set()
            yield client_id, record

    async def _run(self, client_id: str, member: _Member, offset: float) -> None:
        await self._sleep(offset)
        while True:
            watcher = member.watcher if member.watcher is not None else self._build(member)
            try:
                async with watcher:
                    async for record in watcher:
                        member.pending = watcher.last_news
                        member.taken.clear()
                        self._queue.put_nowait((client_id, record))
                        await member.taken.wait()
            except ConfirmaError as exc:
                if not _from_the_api(exc):
                    self._queue.put_nowait((client_id, exc))
                    return
                self.errors[client_id] = exc
                self._log.warning(
                    "fleet_watch_failed", client_id=client_id, error_type=type(exc).__name__
                )
            except Exception as exc:  # not the API's: the merged iterator raises it
                self._queue.put_nowait((client_id, exc))
                return
            member.checkpoint = watcher.checkpoint
            member.watcher = None
            if self._closing:  # a failure that was our cancellation, lost (aiohttp#5979)
                return
            await self._sleep(self._interval)

    async def aclose(self) -> None:
        """Stop every client's watcher and wait for them."""
        self._claimed = self._closing = True
        tasks, self._tasks = self._tasks, []
        await stop_tasks(tasks)  # a poll that loses its cancellation is cancelled again


def _from_the_api(error: ConfirmaError) -> bool:
    """False for a pager's error caused by something else than the API (a bug: not retried)."""
    cause = error.__cause__
    return (
        not isinstance(error, PaginationError) or cause is None or isinstance(cause, ConfirmaError)
    )


def _forget(data: dict[str, Any], news: tuple[date, str, str]) -> None:
    """Remove the record ``news`` names from a checkpoint: it is yielded again after a restart."""
    day, key, fp = news
    if key.startswith(CONTENT_PREFIX):
        fps = data.get("seen_by_content", {}).get(day.isoformat())
        if fps is not None and fp in fps:
            fps.remove(fp)
        return
    data["seen"].get(day.isoformat(), {}).pop(key, None)
