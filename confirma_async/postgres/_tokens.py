"""PostgreSQL token store: one token per (target, client) shared by every replica of a service.

Table ``confirma_tokens`` (component ``tokens``), one row per key: the token, its version, its
known expiry. A renewal holds a transaction-scoped advisory lock on the key while it asks
``GET /renew``, and re-reads the row under it (see :class:`~confirma_async.TokenStore`). Every
change sends ``NOTIFY confirma_tokens`` with the key and the new version (never the token: any role
that may connect can listen); each store keeps one connection listening, loads the changed row
and hands it to the clients of that key, so they switch before their own 401. If that connection
is lost (a database restart, a terminated backend), the store listens again on a new one, retrying
with backoff, and then hands every subscribed key's current row over, so no change is missed.

The table holds live credentials: grant it to the service's role only (see the guide "Running
several replicas").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from .._core.tasks import stop_tasks
from ..auth import RenewalGuard, StoredToken, TokenKey, TokenListener, TokenSubscription
from ..errors import ConfigurationError
from ._connect import open_pool
from ._schema import Migration, migrate

__all__ = ["TOKENS_CHANNEL", "TOKENS_TABLE", "PostgresTokenStore"]

TOKENS_TABLE = "confirma_tokens"
TOKENS_CHANNEL = "confirma_tokens"

MIGRATIONS: list[Migration] = [
    f"""
    CREATE TABLE {TOKENS_TABLE} (
        target      text        NOT NULL,
        client_id   text        NOT NULL,
        token       text        NOT NULL,
        version     bigint      NOT NULL CHECK (version > 0),
        expires_at  timestamptz,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (target, client_id)
    );
    COMMENT ON TABLE {TOKENS_TABLE} IS
        'confirma-async: live CFIS access tokens; readable by the service role only';
    """,
]

_SELECT = (
    f"SELECT token, version, expires_at FROM {TOKENS_TABLE} WHERE target = $1 AND client_id = $2"
)
_NOTIFY = f"pg_notify('{TOKENS_CHANNEL}', json_build_array($1::text, $2::text, version)::text)"
_INSERT = f"""
WITH w AS (
    INSERT INTO {TOKENS_TABLE} (target, client_id, token, version, expires_at)
    VALUES ($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING RETURNING version
) SELECT version, {_NOTIFY} FROM w
"""
_UPDATE = f"""
WITH w AS (
    UPDATE {TOKENS_TABLE} SET token = $3, version = version + 1, expires_at = $4, updated_at = now()
    WHERE target = $1 AND client_id = $2 AND version = $5 RETURNING version
) SELECT version, {_NOTIFY} FROM w
"""


async def _save(
    conn: Any, key: TokenKey, token: str, expires_at: datetime | None, expected: int
) -> StoredToken | None:
    if expected == 0:
        row = await conn.fetchrow(_INSERT, key.target, key.client, token, expires_at)
    else:
        row = await conn.fetchrow(_UPDATE, key.target, key.client, token, expires_at, expected)
    return None if row is None else StoredToken(token, row["version"], expires_at)


def _stored(row: Any) -> StoredToken | None:
    return None if row is None else StoredToken(row["token"], row["version"], row["expires_at"])


class _Guard:
    def __init__(self, conn: Any, key: TokenKey, current: StoredToken | None) -> None:
        self._conn = conn
        self._key = key
        self.current = current

    async def commit(self, token: str, expires_at: datetime | None) -> StoredToken:
        expected = 0 if self.current is None else self.current.version
        saved = await _save(self._conn, self._key, token, expires_at, expected)
        if saved is None:  # only a writer that bypassed the lock can get here
            raise ConfigurationError("token store", self._key, "changed during a renewal")
        self.current = saved
        return saved


class _Subscription:
    def __init__(self, store: PostgresTokenStore, key: TokenKey, listener: TokenListener) -> None:
        self._store, self._key, self._listener = store, key, listener

    async def close(self) -> None:
        await self._store._unsubscribe(self._key, self._listener)


_RELISTEN_CAP = 5.0
"""Longest wait between two attempts to listen again after the listening connection was lost."""


class PostgresTokenStore:
    """A :class:`~confirma_async.TokenStore` on PostgreSQL, for many clients and processes.

    ``PostgresTokenStore(pool)`` uses an asyncpg pool you own (one connection of it listens while
    clients are subscribed); ``await PostgresTokenStore.open(dsn)`` opens and owns one. Tables are
    created or migrated on first use. Close with :meth:`aclose` after the clients using it.
    """

    def __init__(self, pool: Any, *, _owns_pool: bool = False) -> None:
        self._pool = pool
        self._owns_pool = _owns_pool
        self._migrated = False
        self._setup = asyncio.Lock()
        self._listeners: dict[TokenKey, list[TokenListener]] = {}
        self._listen_conn: Any = None
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, dsn: str, *, max_size: int = 4) -> PostgresTokenStore:
        """A store on its own pool to ``dsn`` (closed by :meth:`aclose`)."""
        return cls(await open_pool(dsn, max_size=max_size), _owns_pool=True)

    def __repr__(self) -> str:
        return f"PostgresTokenStore(keys_subscribed={len(self._listeners)})"

    async def _ready(self) -> None:
        if self._migrated:
            return
        async with self._setup:
            if not self._migrated:
                async with self._pool.acquire() as conn:
                    await migrate(conn, "tokens", MIGRATIONS)
                self._migrated = True

    async def load(self, key: TokenKey) -> StoredToken | None:
        """The key's current token, version and expiry."""
        await self._ready()
        async with self._pool.acquire() as conn:
            return _stored(await conn.fetchrow(_SELECT, key.target, key.client))

    async def save(
        self, key: TokenKey, token: str, expires_at: datetime | None, *, expected_version: int
    ) -> StoredToken | None:
        """Compare-and-set (see :meth:`~confirma_async.TokenStore.save`), notifying the others."""
        await self._ready()
        async with self._pool.acquire() as conn:
            return await _save(conn, key, token, expires_at, expected_version)

    @asynccontextmanager
    async def _renewal(self, key: TokenKey) -> AsyncIterator[RenewalGuard]:
        await self._ready()
        async with self._pool.acquire() as conn, conn.transaction():
            lock_name = f"confirma-token\x1f{key.target}\x1f{key.client}"
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lock_name)
            yield _Guard(conn, key, _stored(await conn.fetchrow(_SELECT, key.target, key.client)))

    def renewal(self, key: TokenKey) -> AbstractAsyncContextManager[RenewalGuard]:
        """Hold the key's advisory lock (transaction-scoped) with the row re-read under it."""
        return self._renewal(key)

    async def subscribe(self, key: TokenKey, listener: TokenListener) -> TokenSubscription:
        """Call ``listener`` with the row after every change of ``key`` (from any process)."""
        await self._ready()
        async with self._setup:
            if self._listen_conn is None:
                await self._listen()
            self._listeners.setdefault(key, []).append(listener)
        return _Subscription(self, key, listener)

    async def _listen(self) -> None:
        conn = await self._pool.acquire()
        try:
            await conn.add_listener(TOKENS_CHANNEL, self._notified)
            conn.add_termination_listener(self._lost)
        except BaseException:
            await self._pool.release(conn)
            raise
        self._listen_conn = conn

    def _lost(self, conn: Any) -> None:
        """The listening connection closed (a restart, a terminated backend): listen again."""
        if conn is not self._listen_conn:
            return  # released by _stop_listening: nothing to do
        self._listen_conn = None
        task = asyncio.get_running_loop().create_task(self._relisten(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relisten(self, lost: Any) -> None:
        """Listen on a new connection (retrying with backoff), then catch up on missed changes."""
        with contextlib.suppress(Exception):
            await self._pool.release(lost)  # the pool replaces a closed connection
        delay = 0.05
        while True:
            async with self._setup:
                if not self._listeners or self._listen_conn is not None:
                    return  # nobody listens any more, or someone listened already
                try:
                    await self._listen()
                except Exception:
                    pass
                else:
                    break
            await asyncio.sleep(delay)  # the database is not back yet
            delay = min(delay * 2, _RELISTEN_CAP)
        for key in list(self._listeners):  # a change while nobody listened is not lost
            with contextlib.suppress(Exception):
                stored = await self.load(key)
                if stored is not None:
                    for listener in list(self._listeners.get(key, ())):
                        listener(stored)

    async def _unsubscribe(self, key: TokenKey, listener: TokenListener) -> None:
        async with self._setup:
            listeners = self._listeners.get(key, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self._listeners.pop(key, None)
            if not self._listeners:
                await self._stop_listening()

    async def _stop_listening(self) -> None:
        conn, self._listen_conn = self._listen_conn, None
        if conn is not None:
            conn.remove_termination_listener(self._lost)
            with contextlib.suppress(Exception):  # a connection that just died releases too
                await conn.remove_listener(TOKENS_CHANNEL, self._notified)
            await self._pool.release(conn)

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            target, client, version = json.loads(payload)
            key = TokenKey(target, client)
        except (ValueError, TypeError, ConfigurationError):
            return  # not ours
        if key in self._listeners:
            task = asyncio.get_running_loop().create_task(self._deliver(key, int(version)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, key: TokenKey, version: int) -> None:
        try:
            stored = await self.load(key)
        except Exception:  # the next 401 finds the new token under the renewal lock anyway
            return
        if stored is None or stored.version < version:
            return
        for listener in list(self._listeners.get(key, ())):
            listener(stored)

    async def aclose(self) -> None:
        """Stop listening; close the pool if the store opened it."""
        await stop_tasks(list(self._tasks))
        async with self._setup:
            self._listeners.clear()
            await self._stop_listening()
        if self._owns_pool:
            await self._pool.close()
