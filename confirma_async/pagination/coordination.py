"""Coordinating distribution watchers across replicas: one leaseholder polls a stream.

A :class:`WatchCoordination` hands out a :class:`WatchLease` per :class:`StreamKey` to one watcher
at a time; the lease carries the stream's shared checkpoint (the fingerprint of every record
*handled*), and :meth:`WatchLease.commit` adds a record to it, but only while the lease is still
held (fencing). The leased watcher commits a record when the application asks for the next one,
i.e. after its handler returned: a change is delivered at least once, and again only when a
leaseholder died (or lost its lease) while handling it.

:class:`MemoryCoordination` coordinates watchers of one process;
``confirma_async.postgres.PostgresCoordination`` coordinates processes and hosts.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable
from datetime import date
from typing import Protocol

import attrs

__all__ = [
    "MemoryCoordination",
    "SharedCheckpoint",
    "StreamKey",
    "WatchCoordination",
    "WatchLease",
]

CONTENT_PREFIX = "#"
"""Item key prefix of a record tracked by its content (no readable invoice number or date)."""


@attrs.frozen(slots=True)
class StreamKey:
    """Which feed: the API's base URL, the listing path and the stream name the user chose."""

    target: str
    source: str
    stream: str


@attrs.define(slots=True)
class SharedCheckpoint:
    """What every handled record left: per invoice date, item key -> fingerprint.

    The item key is the invoice number, or ``#`` + the content fingerprint for a record without a
    readable number or date.
    """

    days: dict[date, dict[str, str]] = attrs.field(factory=dict)

    def add(self, day: date, item: str, fingerprint: str) -> None:
        """Record one handled record."""
        self.days.setdefault(day, {})[item] = fingerprint

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[date, str, str]]) -> SharedCheckpoint:
        """Build from ``(day, item, fingerprint)`` rows."""
        shared = cls()
        for day, item, fingerprint in rows:
            shared.add(day, item, fingerprint)
        return shared

    def split(self) -> tuple[dict[date, dict[int, str]], dict[date, set[str]]]:
        """The watcher's two maps: fingerprints by invoice number, content fingerprints."""
        seen: dict[date, dict[int, str]] = {}
        unkeyed: dict[date, set[str]] = {}
        for day, items in self.days.items():
            for item, fingerprint in items.items():
                if item.startswith(CONTENT_PREFIX):
                    unkeyed.setdefault(day, set()).add(fingerprint)
                else:
                    seen.setdefault(day, {})[int(item)] = fingerprint
        return seen, unkeyed


class WatchLease(Protocol):
    """The right to poll one stream, until lost or released."""

    @property
    def epoch(self) -> int:
        """Grows by one at every handover of the stream (1 for its first holder)."""
        ...

    @property
    def lost(self) -> bool:
        """True once the lease is known to be gone (expired, taken over, released)."""
        ...

    @property
    def checkpoint(self) -> SharedCheckpoint:
        """The stream's shared checkpoint as loaded when the lease was taken."""
        ...

    async def commit(self, day: date, item: str, fingerprint: str) -> bool:
        """Add a handled record to the shared checkpoint; False (nothing written) if lost."""
        ...

    async def forget_before(self, day: date) -> None:
        """Drop checkpoint entries of invoice dates before ``day`` (behind the horizon)."""
        ...

    async def release(self) -> None:
        """Give the stream up now so another replica takes it at once (idempotent)."""
        ...


class WatchCoordination(Protocol):
    """Hands out leases on streams (see the module doc)."""

    async def acquire(self, key: StreamKey) -> WatchLease:
        """Wait until this caller holds ``key``'s lease; return it."""
        ...


@attrs.define(eq=False)
class _MemoryLease:
    owner: MemoryCoordination
    key: StreamKey
    epoch: int
    checkpoint: SharedCheckpoint
    released: bool = False

    @property
    def lost(self) -> bool:
        return self.released or self.owner._holders.get(self.key) is not self

    async def commit(self, day: date, item: str, fingerprint: str) -> bool:
        if self.lost:
            return False
        self.owner._shared.setdefault(self.key, SharedCheckpoint()).add(day, item, fingerprint)
        return True

    async def forget_before(self, day: date) -> None:
        shared = self.owner._shared.get(self.key)
        if shared is not None and not self.lost:
            for old in [d for d in shared.days if d < day]:
                del shared.days[old]

    async def release(self) -> None:
        self.released = True
        await self.owner._release(self)


class MemoryCoordination:
    """Leases and checkpoints shared by the watchers of one process.

    A lease does not expire: it is held until released, which ``DistributionWatcher.aclose`` does.
    """

    def __init__(self) -> None:
        self._holders: dict[StreamKey, _MemoryLease] = {}
        self._epochs: dict[StreamKey, int] = {}
        self._shared: dict[StreamKey, SharedCheckpoint] = {}
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def acquire(self, key: StreamKey) -> WatchLease:
        """Wait until no other watcher of this process holds ``key``."""
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: key not in self._holders)
            epoch = self._epochs[key] = self._epochs.get(key, 0) + 1
            loaded = copy.deepcopy(self._shared.get(key, SharedCheckpoint()))
            lease = self._holders[key] = _MemoryLease(self, key, epoch, loaded)
            return lease

    async def _release(self, lease: _MemoryLease) -> None:
        changed = self._condition()
        async with changed:
            if self._holders.get(lease.key) is lease:
                del self._holders[lease.key]
                changed.notify_all()
