"""The redacted token holder and the reading of a ``GET /renew`` answer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from datetime import datetime
from typing import Any

from .._core import wire as _wire
from .._core.responses import decode_body
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfirmaError,
    TokenNotFoundError,
)
from ..models._aliases import WireAliases
from ..models._convert import from_wire
from ..models.onboarding import RenewedToken

__all__ = [
    "LOST_RENEWAL",
    "REVOKED_AFTER_LOST",
    "Secret",
    "ask_renewal",
    "parse_renewal",
    "uncancelled",
]

LOST_RENEWAL = (
    "the renewal's outcome is unknown: the server may have revoked the token in use (A20) and "
    "issued a new one whose answer was lost; if requests keep failing with 401, give the client "
    "a new token (client.tokens.set_token)"
)
"""The note on a renewal error whose outcome is unknown: a possible lock-out, and its way out."""

REVOKED_AFTER_LOST = (
    "the renewal asked just before lost its connection and the server now refuses the token it "
    "renewed: that renewal was applied (A20, A108), the token is revoked and its successor lost; "
    "give the client a new token (client.tokens.set_token)"
)
"""The note on the 401 of a renewal asked again after a broken connection: a sure lock-out."""


class Secret:
    """A string that never shows itself in ``repr``/``str``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value itself (only for the request header)."""
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


async def ask_renewal(
    requester: Any,
    token: str,
    query: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    aliases: WireAliases | None,
) -> tuple[str, datetime | None]:
    """``GET /renew`` with ``token``: the new token and its expiry (A20).

    A renewal whose connection broke after it was sent is asked once more at once, with the same
    token (A108): if the first was applied, the server refuses the revoked token, and that 401 is
    raised saying the client is locked out (:data:`REVOKED_AFTER_LOST`); if not, this renews. A
    failure whose outcome stays unknown (a timeout, a 5xx, a second broken connection) carries the
    :data:`LOST_RENEWAL` note: the old token may be revoked and the new one lost.
    """

    async def ask() -> Any:
        return await requester.send_once(
            "GET", _wire.PATH_RENEW, token, params=query, headers=headers, raw=True
        )

    try:
        try:
            answer = await ask()
        except APIConnectionError as broken:
            if not broken.outcome_unknown or isinstance(broken, APITimeoutError):
                raise
            try:
                answer = await ask()
            except AuthenticationError as refused:  # the first one was applied
                refused.add_note(REVOKED_AFTER_LOST)
                raise refused from broken
    except ConfirmaError as exc:
        if getattr(exc, "outcome_unknown", False):
            exc.add_note(LOST_RENEWAL)
        raise
    return parse_renewal(answer, aliases)


def parse_renewal(answer: Any, aliases: WireAliases | None) -> tuple[str, datetime | None]:
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


async def uncancelled(work: Coroutine[Any, Any, None], running: set[asyncio.Task[None]]) -> None:
    """Await ``work`` in a task of its own, which a cancellation of the caller does not stop.

    For a renewal: the server revokes the old token as it issues the new one (A20), so once
    ``GET /renew`` is on its way its answer must be read and stored, whoever still waits for it.
    The task is kept in ``running`` until it ends (its outcome is then consumed, not lost).
    """
    task = asyncio.ensure_future(work)
    running.add(task)
    task.add_done_callback(_forget(running))
    await asyncio.shield(task)


def _forget(running: set[asyncio.Task[None]]) -> Any:
    def done(task: asyncio.Task[None]) -> None:
        running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a caller that left has it logged by the manager

    return done
