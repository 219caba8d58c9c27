"""Access-token lifecycle: the only code that holds the token.

The token is kept in a :class:`Secret` whose ``repr`` and ``str`` are redacted, so it cannot leak
through a repr, a log event or an exception message by accident. Renewal is single-flight: an
``asyncio.Lock`` (created lazily in the running loop) plus a generation counter, so requests that
failed with the same token share one renewal and a request that waited does not renew again.
Behind the manager a :class:`~confirma_async.TokenStore` holds the token with a version; a shared
store (PostgreSQL) makes the renewal single-flight across processes too: the renewing replica
holds the store's renewal lock; a replica that finds a newer version there uses it instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .._core import wire as _wire
from .._core.checks import ExtraHeaders, ExtraQuery, check_headers, with_query
from .._core.logging import default_logger
from ..errors import AuthenticationError, ConfigurationError, ConfirmaError
from ..models._aliases import WireAliases
from ..models._convert import from_wire
from ..models.onboarding import TokenValidation
from ._renewal import Secret, ask_renewal, uncancelled
from ._shared import StoreLink, store_error
from ._store import TokenKey, TokenStore

TokenRenewedCallback = Callable[[str, "datetime | None"], Awaitable[None]]
"""``async def on_token_renewed(token, expires_at)``: persist a renewed token."""

_ADVISORY_RETRY_PAUSE = timedelta(seconds=30)
_FAILED_RENEWAL_PAUSE = timedelta(seconds=30)
"""How long a failed automatic renewal stands for its token: waiters share it, nobody re-asks."""


class TokenRequester(Protocol):
    """What the token manager needs from the transport: one authenticated attempt, no retries."""

    async def send_once(
        self,
        method: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one request with ``token`` as the API key; the decoded body, or a raw answer."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


class TokenManager(StoreLink):
    """Holds the access token, validates and renews it.

    ``expires_at`` (optional) is the token's known expiry. Inside ``advisory_window`` before it the
    manager renews early and keeps the old token if that fails; inside ``mandatory_window`` a
    request waits for a successful renewal. ``on_token_renewed`` is awaited with every new token
    this manager renewed, so a service can persist it; if it raises, the error is logged and the
    new token stays in use (the old one is already revoked by the server).

    ``store`` and ``key`` share the token with other clients (see :class:`TokenStore`); without
    them the token lives in a private in-memory store. ``auto_renew=False`` never renews by
    itself: a 401 then uses a newer token from the store if there is one, else it is raised
    (for services that renew elsewhere and hand the token over with :meth:`set_token`).
    """

    def __init__(
        self,
        token: str,
        *,
        expires_at: datetime | None = None,
        advisory_window: timedelta = timedelta(minutes=10),
        mandatory_window: timedelta = timedelta(minutes=1),
        on_token_renewed: TokenRenewedCallback | None = None,
        clock: Callable[[], datetime] = _now,
        logger: Any = None,
        wire_aliases: WireAliases | None = None,
        store: TokenStore | None = None,
        key: TokenKey | None = None,
        auto_renew: bool = True,
    ) -> None:
        super().__init__(token, expires_at, store, key)
        self.auto_renew = auto_renew
        """Renew by itself (ahead of a known expiry and after a 401); settable at run time."""
        self._advisory = advisory_window
        self._mandatory = mandatory_window
        self._on_renewed = on_token_renewed
        self._clock = clock
        self._log = logger if logger is not None else default_logger()
        self._aliases = wire_aliases
        self._requester: TokenRequester | None = None
        self._failed: tuple[int, datetime, ConfirmaError] | None = None
        self._renewing: set[asyncio.Task[None]] = set()
        self.renewals = 0
        """How many renewals this manager made that succeeded (useful in tests and metrics)."""

    def bind(self, requester: TokenRequester) -> None:
        """Attach the transport used for validate/renew calls (done by the client)."""
        self._requester = requester

    def __repr__(self) -> str:
        return (
            f"TokenManager(token=<secret>, generation={self._generation}, "
            f"version={self._version}, expires_at={self._expires_at!r})"
        )

    @property
    def generation(self) -> int:
        """Incremented by every change of the token in use (renewed, adopted or set)."""
        return self._generation

    @property
    def expires_at(self) -> datetime | None:
        """The current token's known expiry, if any."""
        return self._expires_at

    def auth_header(self) -> tuple[str, str]:
        """The ``(header, value)`` pair to send; only the transport calls this."""
        return _wire.API_KEY_HEADER, self._token.reveal()

    def credentials(self) -> tuple[str, str, int]:
        """``(header, value, generation)`` of the token in use, read at once (the transport)."""
        return _wire.API_KEY_HEADER, self._token.reveal(), self._generation

    def renewal_due(self) -> bool:
        """True when :meth:`ensure_fresh` has work: attach, or a renewal due (cheap, no await).

        That is before the first request (to attach to the store) and when the token's known
        expiry is inside the advisory window.
        """
        if not self._attached:
            return True
        expires_at = self._expires_at
        return expires_at is not None and expires_at - self._clock() <= self._advisory

    async def ensure_fresh(self) -> None:
        """Renew ahead of a known expiry (advisory or mandatory window); no-op otherwise."""
        await self.attach()
        if self._expires_at is None or not self.auto_renew:
            return
        now = self._clock()
        remaining = self._expires_at - now
        if remaining > self._advisory:
            return
        generation = self._generation
        if remaining <= self._mandatory:
            await self._renew_if_current(generation)
            return
        if self._advisory_paused_until is not None and now < self._advisory_paused_until:
            return
        try:
            await self._renew_if_current(generation)
        except ConfirmaError as exc:
            self._advisory_paused_until = now + _ADVISORY_RETRY_PAUSE
            self._log.warning(
                "token_advisory_renewal_failed", error_type=type(exc).__name__, status=_status(exc)
            )

    async def after_unauthorized(self, generation: int) -> None:
        """A request sent with ``generation`` got 401: renew once, shared by all such requests."""
        await self._renew_if_current(generation)

    async def renew_token(
        self,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> datetime | None:
        """Renew the token now (``GET /renew``; asked again only if its connection broke, A108).

        Returns the new token's expiry if the server gave one. Raises the API error if renewal
        fails; the current token then stays in use. A 2xx answer without a token the client can
        read raises :class:`TokenNotFoundError` (its ``raw_body`` holds the answer).
        """
        extras = (with_query(None, extra_query), check_headers(extra_headers))
        await self._renew_if_current(self._generation, extras, explicit=True)
        return self._expires_at

    async def validate_token(
        self,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> TokenValidation:
        """Ask the API whether the current token is valid (``GET /validate``).

        A 401 is an answer here, not an error: it returns ``is_valid=False``.
        """
        await self.attach()
        try:
            data = await self._require_requester().send_once(
                "GET",
                _wire.PATH_VALIDATE,
                self._token.reveal(),
                params=with_query(None, extra_query),
                headers=check_headers(extra_headers),
            )
        except AuthenticationError as exc:
            return TokenValidation(is_valid=False, message=exc.message)
        return from_wire(data, TokenValidation, self._aliases)

    async def aclose(self) -> None:
        """Let a renewal on its way end (its caller may have left), then stop listening."""
        self._closed = True
        ours = asyncio.current_task()  # closing from on_token_renewed: not waiting for itself
        await asyncio.gather(*(t for t in self._renewing if t is not ours), return_exceptions=True)
        await super().aclose()

    def _require_requester(self) -> TokenRequester:
        if self._requester is None:
            raise ConfigurationError("transport", None, "TokenManager is not bound to a client")
        return self._requester

    async def _renew_if_current(
        self, generation: int, extras: _Extras = (None, None), *, explicit: bool = False
    ) -> None:
        """Renew unless another caller already did (single flight).

        A failed automatic renewal stands for its token for ``_FAILED_RENEWAL_PAUSE``: every
        request waiting on it gets the same failure instead of asking ``/renew`` again (a renewal
        storm), unless the store has a newer token by then (another replica renewed, an operator
        set one: A109); an explicit :meth:`renew_token` always asks. A caller cancelled meanwhile
        leaves the renewal running to its end (:func:`uncancelled`): the old token may be revoked.
        """
        await self.attach()
        await uncancelled(self._renew_single(generation, extras, explicit), self._renewing)

    async def _renew_single(self, generation: int, extras: _Extras, explicit: bool) -> None:
        async with self._get_lock():
            if self._generation != generation:
                return
            failed = self._failed
            if not explicit and failed and failed[0] == generation and self._clock() < failed[1]:
                if not await self._adopt_stored():  # none newer (renewed or set elsewhere)
                    raise failed[2].with_traceback(None)
                return
            try:
                await self._renew_locked(generation, extras, explicit)
            except ConfirmaError as exc:
                self._failed = (generation, self._clock() + _FAILED_RENEWAL_PAUSE, exc)
                raise
            self._failed = None

    async def _renew_locked(self, generation: int, extras: _Extras, explicit: bool) -> None:
        # A token newer than the failed one (``generation``) may arrive while we wait for the
        # store: by a notification, or read below. Either way it is used instead of renewing.
        if not explicit and not self.auto_renew:
            try:
                stored = await self._store.load(self._key)
            except Exception as exc:
                raise store_error("reading", exc) from exc
            if stored is not None:
                self._adopt(stored)
            if self._generation != generation:
                return
            raise ConfirmaError("automatic token renewal is off (auto_renew=False)")
        try:
            await self._renew_shared(generation, extras, explicit)
        except ConfirmaError:
            raise
        except Exception as exc:  # the store's own failure (the HTTP side raises ConfirmaError)
            raise store_error("renewing through", exc) from exc

    async def _renew_shared(self, generation: int, extras: _Extras, explicit: bool) -> None:
        async with self._store.renewal(self._key) as guard:
            # Re-read under the store's lock: a newer version means another replica renewed
            # (and may have revoked ours): use it rather than renewing again.
            if guard.current is not None:
                self._adopt(guard.current)
            if self._generation != generation and not explicit:
                return
            token, expires_at = await self._ask_renewal(extras)
            try:
                self._version = (await guard.commit(token, expires_at)).version
            except Exception as exc:  # the new token is live here; the others will 401
                self._log.error("token_store_save_failed", error_type=type(exc).__name__)
        if self._on_renewed is not None:
            try:
                await self._on_renewed(token, expires_at)
            except Exception as exc:  # the new token is already live; never lose it
                self._log.error("token_renewed_callback_failed", error_type=type(exc).__name__)

    async def _ask_renewal(self, extras: _Extras) -> tuple[str, datetime | None]:
        """``GET /renew`` with the token in use; the new token is in use when this returns."""
        started = time.perf_counter()
        query, headers = extras
        token, expires_at = await ask_renewal(
            self._require_requester(), self._token.reveal(), query, headers, self._aliases
        )
        self._token = Secret(token)
        self._expires_at = expires_at
        self._generation += 1
        self._advisory_paused_until = None
        self.renewals += 1
        self._log.info(
            "token_renewed",
            generation=self._generation,
            expires_at=expires_at.isoformat() if expires_at else None,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return token, expires_at


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status", None)


_Extras = tuple["Mapping[str, str] | None", "Mapping[str, str] | None"]
