"""One logical request's state, and what the transport does with a status or an attempt to log."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from yarl import URL

from .._core.responses import build_status_error, parse_retry_after
from .._core.retrying import Retryable
from ..config import ClientConfig
from ..errors import APIStatusError, ConfirmaError, RateLimitError

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
    token: str | None = None
    decode: Callable[[bytes], Any] | None = None
    attempts: int = 0
    generation: int = 0
    hops: int = 0


def raise_status(
    config: ClientConfig, call: Call, status: int, reason: str | None, raw: bytes, headers: Any
) -> Any:
    # Only a 4xx (or a 307/308: "repeat it elsewhere") proves a non-idempotent request was not
    # applied (A37).
    unknown = not call.idempotent and not (400 <= status < 500 or status in (307, 308))
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


def log_attempt(log: Any, call: Call, status: int | None, started: float) -> None:
    log.debug(
        "confirma_request",
        method=call.method,
        path=call.path,
        status=status,
        attempt=call.attempts,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def log_retry(log: Any, call: Call, error: ConfirmaError, wait: float) -> None:
    log.info(
        "confirma_retry",
        method=call.method,
        path=call.path,
        attempt=call.attempts,
        wait_s=round(wait, 3),
        error_type=type(error).__name__,
        status=error.status if isinstance(error, APIStatusError) else None,
    )
