"""The iterator of a coordinated watcher: poll only while holding the stream's lease.

It takes the lease (waiting while another replica holds it), loads the shared checkpoint into the
watcher and polls. A record is committed to the shared checkpoint when the application asks for
the next one, i.e. after its handler returned; if the lease is lost meanwhile (the commit is
fenced by it), the record stays uncommitted and the next leaseholder yields it again. Between
polls it checks the lease and prunes the checkpoint behind the horizon.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from .coordination import StreamKey, WatchCoordination, WatchLease

T = TypeVar("T")


class _LeaseLost(Exception):
    """Raised between polls when the lease is gone: stop polling and take it again."""


class LeasedIterator(Generic[T]):
    """Drives a watcher (``watcher``: a DistributionWatcher) under a lease on ``key``."""

    def __init__(
        self,
        watcher: Any,
        coordination: WatchCoordination,
        key: StreamKey,
        inner: Callable[[Any], AsyncIterator[T]],
    ) -> None:
        self._w = watcher
        self._coordination = coordination
        self._key = key
        self._make_inner = inner
        self._lease: WatchLease | None = None
        self._items: AsyncIterator[T] | None = None
        self._pending: tuple[date, str, str] | None = None
        self._sleep = watcher._sleep
        watcher._sleep = self._between_polls

    @property
    def lease(self) -> WatchLease | None:
        """The lease held now, if any."""
        return self._lease

    def __aiter__(self) -> LeasedIterator[T]:
        return self

    async def __anext__(self) -> T:
        await self._commit_pending()
        while True:
            lease = self._lease
            if lease is None or lease.lost or self._items is None:
                await self._take()
                continue
            try:
                record = await self._items.__anext__()
            except _LeaseLost:
                await self._drop()
                continue
            if lease.lost:  # not handed out: the next leaseholder yields it
                await self._drop()
                continue
            self._pending = self._w.last_news
            return record

    async def _commit_pending(self) -> None:
        pending, self._pending = self._pending, None
        lease = self._lease
        if pending is not None and lease is not None and not await lease.commit(*pending):
            await self._drop()

    async def _take(self) -> None:
        await self._drop()
        lease = await self._coordination.acquire(self._key)
        self._w._seen, self._w._unkeyed = lease.checkpoint.split()
        self._w.stats.leases += 1
        self._lease = lease
        self._items = self._make_inner(self._w)

    async def _drop(self) -> None:
        """Stop polling and give the lease back (if still ours)."""
        pager, self._w._pager = self._w._pager, None
        self._items = None
        lease, self._lease = self._lease, None
        try:
            if pager is not None:
                await pager.aclose()
        finally:
            if lease is not None:
                await lease.release()

    async def _between_polls(self, seconds: float) -> None:
        await self._sleep(seconds)
        lease = self._lease
        if lease is None or lease.lost:
            raise _LeaseLost
        w = self._w
        start = max(w._since, w._today - timedelta(days=w._lookback_days))
        await lease.forget_before(start - timedelta(days=1))

    async def aclose(self) -> None:
        """Release the lease; a record handed out and not yet committed is yielded again."""
        self._pending = None
        await self._drop()
