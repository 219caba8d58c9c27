"""The retry loop of the transport, on ``backoff``: read this to know when and how long it waits.

1. The transport makes the first attempt itself (most requests succeed at once, and entering
   ``backoff``'s loop costs about a quarter of aiohttp's own work per request).
2. An attempt that fails in a way worth retrying raises :class:`Retryable` wrapping the typed error
   (and the server's ``Retry-After``, if any); anything else is raised as it is.
3. :meth:`RetryLoop.after` takes that first failure into ``backoff``'s loop, whose first try replays
   it without a request, so tries, waits and ``on_backoff`` logging are exactly ``backoff``'s as if
   the loop had made the first attempt: at most ``max_retries`` more attempts, each after the
   server's ``Retry-After`` if it sent one (never below ``floor``), else a full-jitter wait in
   ``[0, min(cap, base * 2**n)]``.
4. When the tries run out, the last typed error is raised (never :class:`Retryable`).

``backoff``'s own logging (logger ``backoff``: "Backing off ...", "Giving up ...") is switched off:
the transport logs ``confirma_retry`` and ``confirma_giveup`` through the client's logger instead,
so nothing from ``backoff`` reaches an application's root logger.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

import aiohttp
import backoff

from ..errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    ConfirmaError,
    RequestValidationError,
)

C = TypeVar("C")

__all__ = ["RetryLoop", "Retryable", "network_failure", "wait_times"]


class Retryable(Exception):
    """A failure the loop may retry; carries the typed error. Never escapes the transport."""

    def __init__(self, error: ConfirmaError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def wait_times(base: float, cap: float, floor: float = 0.0) -> Generator[float, Any, None]:
    """``backoff``'s wait generator: the failure's ``Retry-After`` (>= ``floor``), else jitter.

    A ``Retry-After`` of 0 or in the past must not mean a re-send at once: ``floor`` applies.
    ``backoff`` sends each caught exception into the generator, so the wait can depend on it.
    """
    failure = yield 0.0  # primed by backoff with send(None)
    attempt = 0
    while True:
        retry_after = getattr(failure, "retry_after", None)
        if retry_after is not None:
            wait = max(float(retry_after), floor)
        else:
            wait = random.uniform(0.0, min(cap, base * (2**attempt)))
        attempt += 1
        failure = yield wait


class RetryLoop(Generic[C]):
    """Retries ``attempt(call)`` after a first failure, on ``backoff``; see the module doc.

    ``on_retry(call, error, wait)`` is called before each wait, ``on_giveup(call, error)`` when
    the tries ran out (for logging).
    """

    def __init__(
        self,
        attempt: Callable[[C], Awaitable[Any]],
        *,
        max_retries: int,
        base: float,
        cap: float,
        floor: float = 0.0,
        on_retry: Callable[[C, ConfirmaError, float], None],
        on_giveup: Callable[[C, ConfirmaError], None] | None = None,
    ) -> None:
        self._attempt = attempt
        self._max_retries = max_retries
        self._on_retry = on_retry
        self._on_giveup = on_giveup
        self._loop = backoff.on_exception(
            lambda: wait_times(base, cap, floor),
            Retryable,
            max_tries=max_retries + 1,
            jitter=None,
            on_backoff=self._backing_off,
            on_giveup=self._giving_up,
            logger=None,  # no "Backing off"/"Giving up" lines of its own: see the module doc
        )(self._try)

    @property
    def max_retries(self) -> int:
        """How many re-sends follow a first failed attempt."""
        return self._max_retries

    async def after(self, call: C, failure: Retryable) -> Any:
        """Go on with ``call`` after its first attempt failed with ``failure``; raise the last."""
        try:
            if self._max_retries == 0:
                raise failure
            return await self._loop(call, [failure])
        except Retryable as final:
            raise final.error from final.error.__cause__

    async def _try(self, call: C, first: list[Retryable]) -> Any:
        if first:  # the loop's first try replays the failure of the attempt made outside it
            raise first.pop()
        return await self._attempt(call)

    def _backing_off(self, details: Any) -> None:
        failure = details.get("exception")
        error = getattr(failure, "error", None)
        if isinstance(error, ConfirmaError):
            self._on_retry(details["args"][0], error, details.get("wait", 0.0))

    def _giving_up(self, details: Any) -> None:
        error = getattr(details.get("exception"), "error", None)
        if self._on_giveup is not None and isinstance(error, ConfirmaError):
            self._on_giveup(details["args"][0], error)


def network_failure(
    exc: BaseException, method: str, path: str, idempotent: bool, url: str
) -> ConfirmaError | Retryable:
    """What an exception from aiohttp means: a typed error, wrapped as :class:`Retryable` if so.

    A failure before anything was sent (a refused or timed-out connection, a pool that had no free
    connection in time, a request aiohttp refused to build) is known not applied and safe to send
    again; after sending (a timeout, a reset) a non-idempotent request's outcome is unknown.
    """
    if isinstance(exc, aiohttp.InvalidURL):
        return ConfigurationError("base_url", url, f"not a usable URL: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return APIConnectionError(f"TLS certificate error: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Retryable(APIConnectionError(f"cannot connect: {exc}", outcome_unknown=False))
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Retryable(APITimeoutError("timed out connecting", outcome_unknown=False))
    if isinstance(exc, ValueError | TypeError) and not isinstance(exc, aiohttp.ClientError):
        return RequestValidationError("request", None, f"cannot be sent: {exc}")
    if isinstance(exc, TimeoutError):
        error: ConfirmaError = APITimeoutError(
            f"{method} {path} timed out", outcome_unknown=not idempotent
        )
    else:
        error = APIConnectionError(
            f"{method} {path} failed: {type(exc).__name__}: {exc}", outcome_unknown=not idempotent
        )
    return Retryable(error) if idempotent else error
