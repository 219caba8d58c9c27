"""Per-request aiohttp arguments: the configuration's timeouts, a view's options, small answers.

A request normally runs under the session's timeouts (:func:`client_timeout`), or under the ones a
caller's session or a ``with_options`` view passes with every request. A write whose answer is a
short acknowledgement (``POST /invoice``) runs without the per-read timer
(``ClientConfig.read_timeout``): aiohttp re-arms that timer on every chunk read, which costs more
CPU than anything else the client adds to a bulk upload's request, and such an answer is bounded
by ``total_timeout`` anyway (:func:`answer_options`; the outcome of a POST that times out is
unknown either way; assumption A96). An explicit ``aiohttp.ClientTimeout`` a caller passes is
used as it is. The requests sent exactly once (``GET /renew``, ``GET /validate``) also carry a
middleware that stops aiohttp's own re-send of a GET whose connection broke (:func:`once_options`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import aiohttp
import attrs

from .._core.checks import check_headers
from ..config import ClientConfig
from ..errors import ConfigurationError, RequestValidationError

__all__ = [
    "answer_options",
    "call_timeout",
    "client_timeout",
    "once_options",
    "view_headers",
    "view_retries",
]


def client_timeout(config: ClientConfig) -> aiohttp.ClientTimeout:
    """The configuration's timeouts as aiohttp's."""
    return aiohttp.ClientTimeout(
        total=config.total_timeout,
        # A request waiting for a pooled connection fails here, known not sent, before the
        # total timeout (which would leave a POST's outcome unknown).
        connect=config.pool_timeout,
        sock_connect=config.connect_timeout,
        sock_read=config.read_timeout,
    )


def call_timeout(config: ClientConfig, timeout: object) -> aiohttp.ClientTimeout:
    """A per-call ``timeout=``: a ``ClientTimeout`` as it is, or seconds for the whole call.

    Seconds bound every phase as well (none may exceed the total; the pool wait, connect and
    read timeouts of the configuration still apply when shorter; ``read_timeout=None`` stays
    without a per-read timer).
    """
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ConfigurationError("timeout", timeout, "must be seconds or an aiohttp.ClientTimeout")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ConfigurationError("timeout", timeout, "must be a finite number of seconds > 0")
    total = float(timeout)
    return aiohttp.ClientTimeout(
        total=total,
        connect=min(config.pool_timeout, total),
        sock_connect=min(config.connect_timeout, total),
        sock_read=None if config.read_timeout is None else min(config.read_timeout, total),
    )


def view_retries(max_retries: object, current: int) -> int:
    """A per-call ``max_retries=`` checked (``current`` when not given)."""
    if max_retries is None:
        return current
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError("max_retries", max_retries, "must be an integer >= 0")
    return max_retries


def view_headers(headers: object) -> dict[str, str]:
    """Per-call ``headers=`` checked like a call's ``extra_headers`` (never the API key)."""
    try:
        checked = check_headers(headers)
    except RequestValidationError as exc:
        raise ConfigurationError(
            f"headers{exc.field.removeprefix('extra_headers')}", exc.value, exc.reason
        ) from None
    return dict(checked or {})


def answer_options(
    config: ClientConfig, options: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """``options`` for a request whose answer is small: without the configuration's read timer.

    ``options`` are the per-request arguments of ordinary requests (``None``: the session's
    own timeouts, :func:`client_timeout`). Only a timeout made from the configuration loses its
    ``sock_read``; any other timeout in ``options`` (a caller's explicit ``ClientTimeout``) stays.
    """
    timeout = client_timeout(config) if options is None else options.get("timeout")
    if config.read_timeout is None or timeout != client_timeout(config):
        return options
    return {**(options or {}), "timeout": attrs.evolve(timeout, sock_read=None)}


def once_options(
    options: Mapping[str, Any] | None, session: aiohttp.ClientSession
) -> dict[str, Any]:
    """``options`` for a request sent exactly once, even when its connection breaks.

    aiohttp sends a GET again, silently, when the connection breaks before an answer (RFC 9112
    section 9.3.1 allows it for idempotent methods). ``GET /renew`` is not idempotent: the
    server revokes the old token as it issues the new one (A20), so a second send carries a
    revoked token and its 401 would hide that the renewal's outcome is unknown. A per-request
    middleware replaces the session's, so the session's own middlewares (a caller's session may
    have some; aiohttp keeps them in a private attribute) run first, as they would have.
    """
    own = tuple(getattr(session, "_middlewares", None) or ())
    return {**(options or {}), "middlewares": (*own, _not_resent)}


async def _not_resent(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:  # never connected: nothing was sent (no re-send either)
        raise
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        # The two errors aiohttp re-sends on; a plain ClientConnectionError it raises as it is.
        broke = f"{exc} ({type(exc).__name__}; not re-sent by aiohttp)"
        raise aiohttp.ClientConnectionError(broke) from exc
