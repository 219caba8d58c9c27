"""A :class:`~confirma_async.TokenStore` in a JSON file: tokens that outlive the process, one host.

The file (mode 0600, written atomically: a temporary file in the same directory, ``fsync``, then
``os.replace``) holds every key's token, version and expiry. A renewal holds an exclusive
``flock`` on ``<file>.lock`` for its whole duration, so the processes of one host sharing the file
renew a key once between them; a save (compare-and-set) takes the same lock briefly. Within one
process the store's operations queue on an ``asyncio.Lock`` first, so at most one thread waits on
the file lock (the event loop never blocks on it). Renewals of different keys therefore take
turns, which suits a file store's scale (one service, or a partner's few hundred creditors whose
tokens expire at different times); use ``PostgresTokenStore`` for many hosts.

Other processes learn a new token when they next read the file: on their next 401 (the renewal
lock's re-read finds the newer version and uses it instead of renewing), or at start. Listeners
(:meth:`FileTokenStore.subscribe`) hear of the changes made through this store object. POSIX only
(``fcntl``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import orjson

from ..errors import ConfigurationError
from ._store import (
    ListSubscription,
    RenewalGuard,
    StoredToken,
    TokenKey,
    TokenListener,
    TokenStoreError,
    TokenSubscription,
)

__all__ = ["FileTokenStore"]

_FORMAT = 1


@attrs.define
class _FileGuard:
    store: FileTokenStore
    key: TokenKey
    current: StoredToken | None

    async def commit(self, token: str, expires_at: datetime | None) -> StoredToken:
        version = 0 if self.current is None else self.current.version
        saved = await asyncio.to_thread(self.store._write, self.key, token, expires_at, version)
        if saved is None:  # pragma: no cover - only a writer ignoring the lock gets here
            raise TokenStoreError(f"token file {self.store.path}: changed during a renewal")
        self.store._notify(self.key, saved)
        self.current = saved
        return saved


class FileTokenStore:
    """Tokens in a JSON file (mode 0600), shared by the processes of one host (see module doc)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        try:
            self.path = Path(path)
        except TypeError as exc:
            raise ConfigurationError("path", path, "must be a file path") from exc
        if self.path.is_dir():
            raise ConfigurationError("path", str(path), "is a directory, not a file")
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._local: asyncio.Lock | None = None
        self._listeners: dict[TokenKey, list[TokenListener]] = {}

    def __repr__(self) -> str:
        return f"FileTokenStore(path={str(self.path)!r})"

    async def load(self, key: TokenKey) -> StoredToken | None:
        """The key's current state, read from the file (``None``: nothing stored)."""
        return (await asyncio.to_thread(self._read)).get(key)

    async def save(
        self, key: TokenKey, token: str, expires_at: datetime | None, *, expected_version: int
    ) -> StoredToken | None:
        """Compare-and-set under the file lock (see :meth:`TokenStore.save`)."""
        async with self._local_lock():
            saved = await asyncio.to_thread(
                self._locked_write, key, token, expires_at, expected_version
            )
        if saved is not None:
            self._notify(key, saved)
        return saved

    def renewal(self, key: TokenKey) -> AbstractAsyncContextManager[RenewalGuard]:
        """Hold the file lock while one process renews; the guard carries the re-read state."""
        return self._renewal(key)

    async def subscribe(self, key: TokenKey, listener: TokenListener) -> TokenSubscription:
        """Call ``listener`` on every later change of ``key`` made through this store."""
        listeners = self._listeners.setdefault(key, [])
        listeners.append(listener)
        return ListSubscription(listeners, listener)

    # -- the file ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _renewal(self, key: TokenKey) -> AsyncIterator[RenewalGuard]:
        async with self._local_lock():
            fd = await asyncio.to_thread(self._acquire)
            try:
                yield _FileGuard(self, key, (await asyncio.to_thread(self._read)).get(key))
            finally:
                self._release(fd)

    def _local_lock(self) -> asyncio.Lock:
        if self._local is None:
            self._local = asyncio.Lock()
        return self._local

    def _notify(self, key: TokenKey, saved: StoredToken) -> None:
        for listener in list(self._listeners.get(key, ())):
            listener(saved)

    def _acquire(self) -> int:
        import fcntl

        try:
            self._lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise TokenStoreError(f"token file {self._lock_path}: cannot lock ({exc})") from exc
        return fd

    @staticmethod
    def _release(fd: int) -> None:
        import fcntl

        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def _locked_write(
        self, key: TokenKey, token: str, expires_at: datetime | None, expected: int
    ) -> StoredToken | None:
        fd = self._acquire()
        try:
            return self._write(key, token, expires_at, expected)
        finally:
            self._release(fd)

    def _read(self) -> dict[TokenKey, StoredToken]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TokenStoreError(f"token file {self.path}: cannot read ({exc})") from exc
        try:
            data: Any = orjson.loads(raw)
            states = {}
            for row in data["tokens"]:
                expires = row.get("expiresAt")
                states[TokenKey(row["target"], row["client"])] = StoredToken(
                    row["token"],
                    int(row["version"]),
                    None if expires is None else datetime.fromisoformat(expires),
                )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, ConfigurationError) as exc:
            # Never quote the file: it holds tokens.
            raise TokenStoreError(
                f"token file {self.path}: not a token file of this library ({type(exc).__name__})"
            ) from None
        return states

    def _write(
        self, key: TokenKey, token: str, expires_at: datetime | None, expected: int
    ) -> StoredToken | None:
        """Compare-and-set; the caller holds the file lock."""
        states = self._read()
        current = states.get(key)
        if (0 if current is None else current.version) != expected:
            return None
        saved = states[key] = StoredToken(token, expected + 1, expires_at)
        rows = [
            {
                "target": k.target,
                "client": k.client,
                "token": s.token,
                "version": s.version,
                "expiresAt": None if s.expires_at is None else s.expires_at.isoformat(),
            }
            for k, s in states.items()
        ]
        body = orjson.dumps({"format": _FORMAT, "tokens": rows}, option=orjson.OPT_INDENT_2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
            raise TokenStoreError(f"token file {self.path}: cannot write ({exc})") from exc
        return saved
