"""One logical request's state, and what the transport does with a status or an attempt to log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from .._core import wire as _wire
from .._core.responses import build_status_error, parse_retry_after
from .._core.retrying import Retryable, network_failure
from .._core.sends import SendWatch
from ..auth import TokenManager
from ..config import ClientConfig
from ..errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ConfirmaError,
    RateLimitError,
)

Params = Mapping[str, str]


@dataclass(slots=True)
class Call:
    """The state of one logical request across its attempts."""

    method: str
    path: str
    url: URL
    params: Params | None
    body: bytes | None
    idempotent: bool
    extra_headers: Mapping[str, str] | None = None
    raw: bool = False
    options: Mapping[str, Any] | None = None
    """Per-request aiohttp arguments (a caller's session, ``with_options``); usually none."""
    token: str | None = None
    decode: Callable[[Any], Any] | None = None
    """Decodes a 2xx answer: its body's bytes, or the ``RawAnswer`` if ``raw``."""
    attempts: int = 0
    generation: int = 0
    hops: int = 0
    response: Any = field(init=False, repr=False)
    """The last attempt's response (status and headers; for logs and spans), set once one came."""
    watch: SendWatch | None = field(default=None, repr=False)
    """Marked while a request that may have been applied is out (non-idempotent calls only)."""


def outcome_unknown_after(call: Call, status: int) -> bool:
    """Whether a non-2xx ``status`` leaves the call's outcome unknown (assumption A37).

    Only a 4xx (or a 307/308: "repeat it elsewhere") proves a non-idempotent request was not
    applied.
    """
    return not call.idempotent and not (400 <= status < 500 or status in (307, 308))


def request_id_of(headers: Any) -> str | None:
    """The request id an answer carries, if any (the first of the known header names)."""
    for name in _wire.REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value is not None:
            return str(value)
    return None


def raise_status(
    config: ClientConfig, call: Call, status: int, reason: str | None, raw: bytes, headers: Any
) -> Any:
    unknown = outcome_unknown_after(call, status)
    if call.watch is not None and not unknown:
        call.watch.possibly_applied = False  # a 4xx: the request was not applied
    error = build_status_error(
        status=status,
        reason=reason,
        raw=raw,
        headers=headers,
        method=call.method,
        path=call.path,
        retry_after_cap=config.retry_after_cap,
        outcome_unknown=unknown,
    )
    if status == 429 or (status >= 500 and call.idempotent):
        # A 429's Retry-After was read once, into the error; a 5xx's is read here.
        retry_after = (
            error.retry_after
            if isinstance(error, RateLimitError)
            else parse_retry_after(headers.get("Retry-After"), cap=config.retry_after_cap)
        )
        raise Retryable(error, retry_after)
    raise error


def connection_failure(call: Call, exc: BaseException) -> ConfirmaError | Retryable:
    """What an exception from aiohttp means for ``call`` (see ``network_failure``).

    A failure known to come before anything was sent clears the call's watch.
    """
    failure = network_failure(exc, call.method, call.path, call.idempotent, str(call.url))
    error = failure.error if isinstance(failure, Retryable) else failure
    if call.watch is not None and not error.outcome_unknown:
        call.watch.possibly_applied = False
    return failure


def log_attempt(log: Any, call: Call, status: int | None, started: float) -> None:
    """The per-attempt debug event (called from the attempt's ``finally``, only when enabled)."""
    fields: dict[str, Any] = {
        "method": call.method,
        "path": call.path,
        "status": status,
        "attempt": call.attempts,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if status is not None:
        fields["request_id"] = request_id_of(call.response.headers)
        if status >= 300:
            fields["outcome_unknown"] = outcome_unknown_after(call, status)
    else:  # no answer: the exception on its way out is this attempt's
        error = sys.exception()
        fields["error_type"] = type(error).__name__ if error is not None else None
        failure = getattr(error, "error", error)  # a Retryable carries the typed error
        fields["outcome_unknown"] = bool(getattr(failure, "outcome_unknown", False))
    log.debug("confirma_request", **fields)


def _error_fields(call: Call, error: ConfirmaError) -> dict[str, Any]:
    return {
        "method": call.method,
        "path": call.path,
        "status": error.status if isinstance(error, APIStatusError) else None,
        "attempt": call.attempts,
        "error_type": type(error).__name__,
        "request_id": error.request_id if isinstance(error, APIStatusError) else None,
        "outcome_unknown": error.outcome_unknown,
    }


def log_retry(log: Any, call: Call, error: ConfirmaError, wait: float) -> None:
    """The event before a retry's wait (``backoff``'s own logging is off: this replaces it)."""
    log.info("confirma_retry", **_error_fields(call, error), wait_s=round(wait, 3))


def log_giveup(log: Any, call: Call, error: ConfirmaError) -> None:
    """The event when the retries ran out (the last error is raised after it)."""
    log.warning("confirma_giveup", **_error_fields(call, error))


async def renew_first(tokens: TokenManager, method: str, path: str) -> None:
    """Renew ahead of a known expiry before sending ``method path``; a failure names that call."""
    try:
        await tokens.ensure_fresh()
    except ConfirmaError as renewal:  # the user's endpoint in the error; the renewal is the cause
        error = for_call(renewal, method, path)
        if error is renewal:
            raise
        raise error from renewal


def for_call(renewal: ConfirmaError, method: str, path: str) -> ConfirmaError:
    """An error naming the endpoint the user called, for a renewal that failed before it was sent.

    The renewal's own error is the cause (the caller chains it); nothing of the call was sent.
    """
    if isinstance(renewal, APIStatusError):
        return type(renewal)(
            f"not sent: renewing the token first failed: {renewal.message}",
            status=renewal.status,
            code=renewal.code,  # the renewal's request id stays on the cause
            method=method,
            path=path,
        )
    if isinstance(renewal, APIConnectionError):
        return type(renewal)(
            f"{method} {path} not sent: renewing the token first failed: {renewal}",
            outcome_unknown=False,
        )
    renewal.add_note(f"(while renewing the token before {method} {path}, which was not sent)")
    return renewal


async def replay_stale(transport: Any, call: Call, stale: AuthenticationError) -> Any:
    """Renew once more and replay once more: the replay used a token taken from the store.

    That token was another replica's (A102): it may have expired or been revoked since it was
    stored, so its 401 says nothing about a renewal made for this request. A token renewed for
    this request that is refused too is raised at once (the transport checks).
    """
    try:
        await transport._tokens.after_unauthorized(call.generation)
    except ConfirmaError as renewal:
        stale.add_note(f"renewing the token failed: {renewal}")
        raise stale from renewal
    try:
        return await transport._attempt(call)
    except Retryable as failure:
        return await transport._retries.after(call, failure)
