"""The token manager's link to its :class:`~confirma_async.TokenStore`: attach, adopt, set.

A manager *attaches* before its first request: it subscribes to its key's changes, then loads the
stored token (seeding the store with its own token when nothing is stored yet). From then on a
token renewed or set by any process sharing the store is *adopted*: the manager switches to it and
bumps its generation, so a request that failed with the old token is replayed instead of renewing.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from .._core.checks import check_token
from ..errors import ClientClosedError, ConfigurationError, ConfirmaError
from ._renewal import Secret
from ._store import (
    MemoryTokenStore,
    StoredToken,
    TokenKey,
    TokenStore,
    TokenStoreError,
    TokenSubscription,
)

_LOCAL = TokenKey("local", "local")


class StoreLink:
    """State of a token manager that a store shares: token, expiry, version and generation."""

    _log: Any

    def __init__(
        self,
        token: str,
        expires_at: datetime | None,
        store: TokenStore | None,
        key: TokenKey | None,
    ) -> None:
        self._token = Secret(check_token(token))
        if expires_at is not None and expires_at.tzinfo is None:
            raise ConfigurationError("token_expires_at", expires_at, "must be timezone-aware")
        if store is not None and key is None:
            raise ConfigurationError(
                "client_id", None, "a shared token_store needs the client's id (its key)"
            )
        self._expires_at = expires_at
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        self._key = key if key is not None else _LOCAL
        self._version = 0
        self._generation = 0
        self._attached = False
        self._closed = False
        self._subscription: TokenSubscription | None = None
        self._lock: asyncio.Lock | None = None
        self._advisory_paused_until: datetime | None = None
        self._failed: Any = None
        self._from_store = False
        self.adoptions = 0
        """How many tokens this manager took from the store (renewed or set elsewhere)."""
        self.adopted_generation = -1
        """The generation of the last token taken from the store (another replica's; A102)."""

    @property
    def store(self) -> TokenStore:
        """Where the token is shared (a private in-memory store unless one was given)."""
        return self._store

    @property
    def key(self) -> TokenKey:
        """The store key of this client's token (target and client id)."""
        return self._key

    @property
    def version(self) -> int:
        """The store version of the token in use (0 until attached)."""
        return self._version

    def require_stored(self) -> None:
        """Take the token only from the store (a partner's client): never seed it with ours.

        Attaching then raises :class:`ConfigurationError` naming the client when the store holds
        no token for its key; the token this manager was built with is never sent.
        """
        self._from_store = True

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def attach(self) -> None:
        """Subscribe to the key's changes and take the stored token (or store ours); once.

        Refused with :class:`ClientClosedError` once :meth:`aclose` ran: a closed client never
        subscribes again (a PostgreSQL store would hold a listening connection for it).
        """
        if self._attached:
            return
        async with self._get_lock():
            if self._closed:
                whose = "this client" if self._key is _LOCAL else f"the client {self._key.client!r}"
                raise ClientClosedError(f"{whose} is closed")
            if self._attached:
                return
            try:
                await self._attach_locked()
                if self._closed:  # closed while it attached: undone below
                    raise ClientClosedError("the client was closed while it attached")
            except BaseException as exc:  # a cancellation too: no subscription left behind
                subscription, self._subscription = self._subscription, None
                self._attached = False
                if subscription is not None:
                    with contextlib.suppress(Exception):
                        await subscription.close()
                if isinstance(exc, ConfirmaError) or not isinstance(exc, Exception):
                    raise
                raise store_error("attaching to", exc) from exc

    async def _attach_locked(self) -> None:
        # Subscribe first: a change landing between the load and the subscription is heard.
        self._subscription = await self._store.subscribe(self._key, self._on_change)
        stored = await self._store.load(self._key)
        if stored is None and self._from_store:
            raise ConfigurationError(
                "client_id",
                self._key.client,
                f"has no token in the token store for {self._key.target} "
                "(onboard it with ConfirmaPartner.onboard, or store its token first)",
            )
        if stored is None:
            stored = await self._store.save(
                self._key, self._token.reveal(), self._expires_at, expected_version=0
            )
            if stored is None:  # another replica stored its token first: use that one
                stored = await self._store.load(self._key)
        if stored is not None:
            self._adopt(stored)
        self._attached = True

    def _on_change(self, stored: StoredToken) -> None:
        self._adopt(stored)

    def _adopt(self, stored: StoredToken) -> bool:
        """Switch to ``stored`` if it is newer than the token in use; True if it was."""
        if stored.version <= self._version:
            return False
        self._version = stored.version
        if stored.token != self._token.reveal():
            self._token = Secret(stored.token)
            self._expires_at = stored.expires_at
            self._generation += 1
            self.adopted_generation = self._generation
            self._advisory_paused_until = None
            self.adoptions += 1
            self._log.info("token_adopted", version=stored.version, generation=self._generation)
        return True

    async def _adopt_stored(self) -> bool:
        """Take the stored token if it is newer than the one in use; True if the token changed.

        A store that cannot be read changes nothing (logged): the caller goes on as it would.
        """
        generation = self._generation
        try:
            stored = await self._store.load(self._key)
        except Exception as exc:
            self._log.warning("token_store_read_failed", error_type=type(exc).__name__)
            return False
        if stored is not None:
            self._adopt(stored)
        return self._generation != generation

    async def set_token(self, token: str, *, expires_at: datetime | None = None) -> None:
        """Use ``token`` from now on, here and in every client sharing the store.

        For services that own renewal elsewhere (typically with ``auto_renew=False``): the token
        is stored as the next version, so the other replicas switch to it as well.
        """
        token = check_token(token)
        if expires_at is not None and expires_at.tzinfo is None:
            raise ConfigurationError("expires_at", expires_at, "must be timezone-aware")
        await self.attach()
        async with self._get_lock():
            try:
                async with self._store.renewal(self._key) as guard:
                    if guard.current is not None:
                        self._adopt(guard.current)
                    self._adopt(await guard.commit(token, expires_at))
            except ConfirmaError:
                raise
            except Exception as exc:
                raise store_error("writing to", exc) from exc
            self._failed = None

    async def aclose(self) -> None:
        """Stop listening to the store for good (the client calls this when it closes)."""
        subscription, self._subscription = self._subscription, None
        self._attached = False
        self._closed = True
        if subscription is not None:
            await subscription.close()


def store_error(doing: str, exc: Exception) -> TokenStoreError:
    """A :class:`TokenStoreError` for a store failure (its type only: no secret in it)."""
    return TokenStoreError(f"{doing} the token store failed ({type(exc).__name__})")
