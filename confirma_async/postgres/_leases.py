"""PostgreSQL coordination of distribution watchers: a lease per stream, a shared checkpoint.

Tables (component ``leases``): ``confirma_watch_leases`` holds one row per stream (holder, epoch,
expiry); ``confirma_watch_seen`` the shared checkpoint, one row per handled record (invoice date,
item key, fingerprint). A replica takes an expired (or free) lease with one upsert that bumps the
epoch, keeps it alive with a heartbeat every ``lease / 3``, and commits each handled record with
one statement that writes only if the replica still holds an unexpired lease (fencing): a replica
that lost its lease writes nothing. A holder commits one record at a time, so at a takeover at
most one record handled by the old holder is missing from what the new holder loads (the one in
hand, or a commit in flight at that moment): it is delivered again, once. (Locking the lease row
``FOR SHARE`` in each commit would close the second case but doubles the cost of a commit.)
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

from .._core.tasks import stop_tasks
from ..errors import ConfigurationError
from ..pagination.coordination import SharedCheckpoint, StreamKey, WatchLease
from ._connect import open_pool
from ._schema import Migration, migrate

__all__ = ["PostgresCoordination"]

MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE confirma_watch_leases (
        target      text        NOT NULL,
        source      text        NOT NULL,
        stream      text        NOT NULL,
        holder      text        NOT NULL,
        epoch       bigint      NOT NULL,
        expires_at  timestamptz NOT NULL,
        acquired_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (target, source, stream)
    );
    CREATE TABLE confirma_watch_seen (
        target      text        NOT NULL,
        source      text        NOT NULL,
        stream      text        NOT NULL,
        day         date        NOT NULL,
        item        text        NOT NULL,
        fingerprint text        NOT NULL,
        handled_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (target, source, stream, day, item)
    );
    """,
]

_KEY = "target = $1 AND source = $2 AND stream = $3"
_ACQUIRE = """
INSERT INTO confirma_watch_leases AS l (target, source, stream, holder, epoch, expires_at)
VALUES ($1, $2, $3, $4, 1, clock_timestamp() + make_interval(secs => $5))
ON CONFLICT (target, source, stream) DO UPDATE
    SET holder = EXCLUDED.holder, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,
        acquired_at = clock_timestamp()
    WHERE l.expires_at <= clock_timestamp()
RETURNING epoch
"""
_HEARTBEAT = f"""
UPDATE confirma_watch_leases SET expires_at = clock_timestamp() + make_interval(secs => $6)
WHERE {_KEY} AND holder = $4 AND epoch = $5 AND expires_at > clock_timestamp()
RETURNING 1
"""
_RELEASE = f"""
UPDATE confirma_watch_leases SET expires_at = clock_timestamp()
WHERE {_KEY} AND holder = $4 AND epoch = $5
"""
_COMMIT = f"""
WITH held AS (
    SELECT 1 FROM confirma_watch_leases
    WHERE {_KEY} AND holder = $4 AND epoch = $5 AND expires_at > clock_timestamp()
)
INSERT INTO confirma_watch_seen (target, source, stream, day, item, fingerprint)
SELECT $1, $2, $3, $6, $7, $8 FROM held
ON CONFLICT (target, source, stream, day, item)
    DO UPDATE SET fingerprint = EXCLUDED.fingerprint, handled_at = now()
RETURNING 1
"""
_LOAD = f"SELECT day, item, fingerprint FROM confirma_watch_seen WHERE {_KEY}"
_FORGET = f"DELETE FROM confirma_watch_seen WHERE {_KEY} AND day < $4"


def _seconds(name: str, value: timedelta | float) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise ConfigurationError(name, value, "must be a positive timedelta or seconds")
    return float(seconds)


class _PgLease:
    def __init__(
        self, owner: PostgresCoordination, key: StreamKey, holder: str, epoch: int, loaded: Any
    ) -> None:
        self._owner = owner
        self._args = (key.target, key.source, key.stream, holder, epoch)
        self.epoch = epoch
        self.checkpoint = loaded
        self._lost = False
        self._beat = asyncio.get_running_loop().create_task(self._heartbeat())

    @property
    def lost(self) -> bool:
        return self._lost

    async def _heartbeat(self) -> None:
        owner = self._owner
        while not self._lost:
            await asyncio.sleep(owner.heartbeat)
            try:
                async with owner.pool.acquire() as conn:
                    alive = await conn.fetchval(_HEARTBEAT, *self._args, owner.lease)
            except Exception:  # cannot prove we hold it: behave as if lost (safe side)
                alive = None
            if alive is None:
                self._lost = True

    async def commit(self, day: date, item: str, fingerprint: str) -> bool:
        if self._lost:
            return False
        async with self._owner.pool.acquire() as conn:
            done = await conn.fetchval(_COMMIT, *self._args, day, item, fingerprint)
        if done is None:
            self._lost = True
        return done is not None

    async def forget_before(self, day: date) -> None:
        async with self._owner.pool.acquire() as conn:
            await conn.execute(_FORGET, *self._args[:3], day)

    async def release(self) -> None:
        self._beat.cancel()
        was_lost, self._lost = self._lost, True
        if not was_lost:
            async with self._owner.pool.acquire() as conn:
                await conn.execute(_RELEASE, *self._args)
        await stop_tasks([self._beat])


class PostgresCoordination:
    """Leased distribution watchers across processes: ``watch_distributions(coordination=...)``.

    ``lease`` is how long a replica that stopped heartbeating (killed, frozen, cut off) keeps the
    stream before another one takes over; heartbeats come every ``lease / 3`` and waiting replicas
    try to take the lease as often. ``PostgresCoordination(pool)`` uses your asyncpg pool;
    ``await PostgresCoordination.open(dsn)`` opens (and :meth:`aclose` closes) one.
    """

    def __init__(
        self, pool: Any, *, lease: timedelta | float = timedelta(seconds=30), _owns: bool = False
    ) -> None:
        self.pool: Any = pool
        """The asyncpg pool used for leases and the shared checkpoint."""
        self.lease: float = _seconds("lease", lease)
        """Seconds a lease lasts without a heartbeat."""
        self.heartbeat: float = self.lease / 3
        """Seconds between heartbeats, and between attempts to take a held lease."""
        self._owns = _owns
        self._migrated = False

    @classmethod
    async def open(
        cls, dsn: str, *, lease: timedelta | float = timedelta(seconds=30)
    ) -> PostgresCoordination:
        """Coordination on its own pool to ``dsn``."""
        return cls(await open_pool(dsn), lease=lease, _owns=True)

    def __repr__(self) -> str:
        return f"PostgresCoordination(lease={self.lease}s)"

    async def acquire(self, key: StreamKey) -> WatchLease:
        """Wait until this replica holds ``key``'s lease; load the shared checkpoint."""
        while True:
            lease = await self.try_acquire(key)
            if lease is not None:
                return lease
            await asyncio.sleep(self.heartbeat)

    async def try_acquire(self, key: StreamKey) -> WatchLease | None:
        """Take ``key``'s lease if it is free or expired (with the checkpoint), else ``None``."""
        args = (key.target, key.source, key.stream)
        holder = uuid.uuid4().hex
        async with self.pool.acquire() as conn:
            if not self._migrated:
                await migrate(conn, "leases", MIGRATIONS)
                self._migrated = True
            epoch = await conn.fetchval(_ACQUIRE, *args, holder, self.lease)
            if epoch is None:
                return None
            rows = await conn.fetch(_LOAD, *args)
        loaded = SharedCheckpoint.from_rows((r["day"], r["item"], r["fingerprint"]) for r in rows)
        return _PgLease(self, key, holder, epoch, loaded)

    async def aclose(self) -> None:
        """Close the pool if :meth:`open` opened it."""
        if self._owns:
            await self.pool.close()
