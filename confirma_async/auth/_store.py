"""Where the current access token lives: the :class:`TokenStore` protocol and its in-memory default.

A store holds, per :class:`TokenKey` (the target's base URL and the client id: never the token,
which rotates), the current token with a version that grows by one at every change. It is built
for many clients per store (a partner process holds hundreds of creditor tokens in one). What a
store must provide:

* :meth:`~TokenStore.load` and a compare-and-set :meth:`~TokenStore.save`;
* :meth:`~TokenStore.renewal`: a lock held across every process sharing the store while one of
  them renews, yielding the state re-read under that lock, so a replica that sees a version newer
  than the one that failed uses it instead of renewing (single-flight across replicas);
* :meth:`~TokenStore.subscribe`: a change notification, so other replicas pick up a new token
  without waiting for their own 401.

:class:`MemoryTokenStore` shares a token between clients of one process (and is the behaviour of a
client without a store); ``confirma_async.postgres.PostgresTokenStore`` shares it between processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Protocol

import attrs

from ..errors import ConfigurationError, ConfirmaError

__all__ = [
    "MemoryTokenStore",
    "RenewalGuard",
    "StoredToken",
    "TokenKey",
    "TokenListener",
    "TokenStore",
    "TokenStoreError",
    "TokenSubscription",
]


class TokenStoreError(ConfirmaError):
    """The shared token store failed (e.g. the database is unreachable); the cause is chained.

    A renewal that failed this way is not retried for the same token for 30 seconds, like any
    failed automatic renewal.
    """


@attrs.frozen(slots=True)
class TokenKey:
    """Whose token: the API's base URL (``target``) and the client (creditor) id."""

    target: str
    client: str

    def __attrs_post_init__(self) -> None:
        for name in ("target", "client"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(f"token key {name}", value, "must be a non-empty string")


@attrs.frozen(slots=True, repr=False)
class StoredToken:
    """A stored token, its version (1 for the first, +1 at every change) and known expiry."""

    token: str
    version: int
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # the token never shows
        expires = self.expires_at
        return f"StoredToken(token=<secret>, version={self.version}, expires_at={expires!r})"


TokenListener = Callable[[StoredToken], None]
"""Called with the new state when a key's token changes (from any process sharing the store)."""


class TokenSubscription(Protocol):
    """A registered listener; :meth:`close` unregisters it."""

    async def close(self) -> None:
        """Stop notifying this listener (idempotent)."""
        ...


class RenewalGuard(Protocol):
    """The store-wide renewal lock of one key, held until the ``async with`` block ends."""

    @property
    def current(self) -> StoredToken | None:
        """The key's state read under the lock (``None``: nothing stored yet)."""
        ...

    async def commit(self, token: str, expires_at: datetime | None) -> StoredToken:
        """Store the renewed token as the next version (seen by others once the lock is left)."""
        ...


class TokenStore(Protocol):
    """Shared token state for many clients, keyed by :class:`TokenKey` (see the module doc)."""

    async def load(self, key: TokenKey) -> StoredToken | None:
        """The key's current state, ``None`` if nothing is stored."""
        ...

    async def save(
        self, key: TokenKey, token: str, expires_at: datetime | None, *, expected_version: int
    ) -> StoredToken | None:
        """Compare-and-set: store ``token`` as the next version if nothing changed meanwhile.

        It becomes version ``expected_version + 1`` if the stored version is ``expected_version``
        (0: nothing stored); ``None`` is returned when it is not.
        """
        ...

    def renewal(self, key: TokenKey) -> AbstractAsyncContextManager[RenewalGuard]:
        """Hold the key's renewal lock across every user of the store (single flight)."""
        ...

    async def subscribe(self, key: TokenKey, listener: TokenListener) -> TokenSubscription:
        """Call ``listener`` with every later change of ``key``'s token."""
        ...


class ListSubscription:
    """A listener registered in a list (the in-process stores'); :meth:`close` removes it."""

    def __init__(self, listeners: list[TokenListener], listener: TokenListener) -> None:
        self._listeners = listeners
        self._listener = listener

    async def close(self) -> None:
        if self._listener in self._listeners:
            self._listeners.remove(self._listener)


@attrs.define
class _MemoryGuard:
    store: MemoryTokenStore
    key: TokenKey
    current: StoredToken | None

    async def commit(self, token: str, expires_at: datetime | None) -> StoredToken:
        version = 0 if self.current is None else self.current.version
        saved = await self.store.save(self.key, token, expires_at, expected_version=version)
        if saved is None:  # pragma: no cover - only a writer bypassing the lock gets here
            raise ConfigurationError("token store", self.key, "changed during a renewal")
        self.current = saved
        return saved


class MemoryTokenStore:
    """Tokens shared by the clients of one process (the default: one store per client)."""

    def __init__(self) -> None:
        self._states: dict[TokenKey, StoredToken] = {}
        self._locks: dict[TokenKey, asyncio.Lock] = {}
        self._listeners: dict[TokenKey, list[TokenListener]] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._states)})"

    async def load(self, key: TokenKey) -> StoredToken | None:
        """The key's current state."""
        return self._states.get(key)

    async def save(
        self, key: TokenKey, token: str, expires_at: datetime | None, *, expected_version: int
    ) -> StoredToken | None:
        """Compare-and-set (see :meth:`TokenStore.save`); listeners hear of the change."""
        current = self._states.get(key)
        if (0 if current is None else current.version) != expected_version:
            return None
        saved = self._states[key] = StoredToken(token, expected_version + 1, expires_at)
        for listener in list(self._listeners.get(key, ())):
            listener(saved)
        return saved

    @asynccontextmanager
    async def _renewal(self, key: TokenKey) -> AsyncIterator[RenewalGuard]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield _MemoryGuard(self, key, self._states.get(key))

    def renewal(self, key: TokenKey) -> AbstractAsyncContextManager[RenewalGuard]:
        """The key's renewal lock (an ``asyncio.Lock``)."""
        return self._renewal(key)

    async def subscribe(self, key: TokenKey, listener: TokenListener) -> TokenSubscription:
        """Call ``listener`` on every later save of ``key``."""
        listeners = self._listeners.setdefault(key, [])
        listeners.append(listener)
        return ListSubscription(listeners, listener)
