"""Access-token lifecycle: the only code that holds the token.

The token is kept in a :class:`_Secret` whose ``repr`` and ``str`` are redacted, so it cannot leak
through a repr, a log event or an exception message by accident. Renewal is single-flight: an
``asyncio.Lock`` (created lazily in the running loop) plus a generation counter, so requests that
failed with the same token share one renewal and a request that waited does not renew again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ._core import wire as _wire
from ._core.checks import ExtraHeaders, ExtraQuery, check_headers, check_token, with_query
from ._core.logging import default_logger
from ._core.responses import decode_body
from .errors import AuthenticationError, ConfigurationError, ConfirmaError, TokenNotFoundError
from .models._aliases import WireAliases
from .models._convert import from_wire
from .models.onboarding import RenewedToken, TokenValidation

TokenRenewedCallback = Callable[[str, "datetime | None"], Awaitable[None]]
"""``async def on_token_renewed(token, expires_at)``: persist a renewed token."""

_ADVISORY_RETRY_PAUSE = timedelta(seconds=30)
_FAILED_RENEWAL_PAUSE = timedelta(seconds=30)
"""How long a failed automatic renewal stands for its token: waiters share it, nobody re-asks."""


class _Secret:
    """A string that never shows itself in ``repr``/``str``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


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


class TokenManager:
    """Holds the access token, validates and renews it.

    ``expires_at`` (optional) is the token's known expiry. Inside ``advisory_window`` before it the
    manager renews early and keeps the old token if that fails; inside ``mandatory_window`` a
    request waits for a successful renewal. ``on_token_renewed`` is awaited with every new token
    so a service can persist it; if it raises, the error is logged and the new token stays in use
    (the old one is already revoked by the server).
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
    ) -> None:
        self._token = _Secret(check_token(token))
        if expires_at is not None and expires_at.tzinfo is None:
            raise ConfigurationError("token_expires_at", expires_at, "must be timezone-aware")
        self._expires_at = expires_at
        self._advisory = advisory_window
        self._mandatory = mandatory_window
        self._on_renewed = on_token_renewed
        self._clock = clock
        self._log = logger if logger is not None else default_logger()
        self._aliases = wire_aliases
        self._requester: TokenRequester | None = None
        self._lock: asyncio.Lock | None = None
        self._generation = 0
        self._advisory_paused_until: datetime | None = None
        self._failed: tuple[int, datetime, ConfirmaError] | None = None
        self.renewals = 0
        """How many renewals succeeded (useful in tests and metrics)."""

    def bind(self, requester: TokenRequester) -> None:
        """Attach the transport used for validate/renew calls (done by the client)."""
        self._requester = requester

    def __repr__(self) -> str:
        return (
            f"TokenManager(token=<secret>, generation={self._generation}, "
            f"expires_at={self._expires_at!r})"
        )

    @property
    def generation(self) -> int:
        """Incremented by every successful renewal."""
        return self._generation

    @property
    def expires_at(self) -> datetime | None:
        """The current token's known expiry, if any."""
        return self._expires_at

    def auth_header(self) -> tuple[str, str]:
        """The ``(header, value)`` pair to send; only the transport calls this."""
        return _wire.API_KEY_HEADER, self._token.reveal()

    def renewal_due(self) -> bool:
        """True when the token's known expiry is inside the advisory window (cheap, no await)."""
        expires_at = self._expires_at
        return expires_at is not None and expires_at - self._clock() <= self._advisory

    async def ensure_fresh(self) -> None:
        """Renew ahead of a known expiry (advisory or mandatory window); no-op otherwise."""
        if self._expires_at is None:
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
        """Renew the token now (``GET /renew``; never retried automatically).

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
        storm); an explicit :meth:`renew_token` always asks.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._generation != generation:
                return
            failed = self._failed
            if (
                not explicit
                and failed is not None
                and failed[0] == generation
                and self._clock() < failed[1]
            ):
                raise failed[2].with_traceback(None)
            try:
                await self._renew_locked(extras)
            except ConfirmaError as exc:
                self._failed = (generation, self._clock() + _FAILED_RENEWAL_PAUSE, exc)
                raise
            self._failed = None

    async def _renew_locked(self, extras: _Extras) -> None:
        started = time.perf_counter()
        query, headers = extras
        answer = await self._require_requester().send_once(
            "GET", _wire.PATH_RENEW, self._token.reveal(), params=query, headers=headers, raw=True
        )
        token, expires_at = _parse_renewal(answer, self._aliases)
        self._token = _Secret(token)
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
        if self._on_renewed is not None:
            try:
                await self._on_renewed(token, expires_at)
            except Exception as exc:  # the new token is already live; never lose it
                self._log.error("token_renewed_callback_failed", error_type=type(exc).__name__)


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status", None)


_Extras = tuple["Mapping[str, str] | None", "Mapping[str, str] | None"]


def _parse_renewal(answer: Any, aliases: WireAliases | None) -> tuple[str, datetime | None]:
    """Find the new token and optional expiry in a 2xx renew answer (assumption A20).

    The expiry is read leniently (a guess: unreadable is no expiry). No token raises
    :class:`TokenNotFoundError` carrying the raw answer, since the old token may be revoked.
    """
    data = decode_body(answer.body) if answer.problem is None else None
    renewed = from_wire(data, RenewedToken, aliases) if isinstance(data, dict) else None
    if renewed is None or not renewed.token:
        names = [_wire.RENEW_TOKEN_KEYS[0], *_wire.RENEW_TOKEN_KEYS[1:]]
        if aliases is not None:
            names += aliases.names(RenewedToken, "token")
        raise TokenNotFoundError(
            f"GET {_wire.PATH_RENEW} answered {answer.status} but no token was found under "
            f"{', '.join(names)} ({answer.problem or 'keys: ' + ', '.join(map(str, data or ()))})"
            "; the old token may already be revoked: the answer is in raw_body. Add a wire "
            "alias RenewedToken.token=<name>.",
            status=answer.status,
            method="GET",
            path=_wire.PATH_RENEW,
            raw_body=answer.body,
            keys=[str(k) for k in data] if isinstance(data, dict) else [],
        )
    return renewed.token, renewed.expires_at
