"""Reading answers: body decoding, the ``Retry-After`` header, and non-2xx answers as errors.

:func:`decode_body` parses any body (JSON, else text); :func:`parse_retry_after` reads the
``Retry-After`` header (seconds or HTTP-date, RFC 9110 §10.2.3); :func:`build_status_error` turns a
non-2xx answer into a typed :class:`~confirma_async.errors.APIStatusError`. The error body format is
undocumented (assumption A3), so it is read leniently: JSON with the message, code and field errors
under any of the key spellings in ``wire``, or plain text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from multidict import CIMultiDictProxy

from ..errors import APIStatusError, RateLimitError, RedirectError, status_error_class
from . import json as _json
from . import wire as _wire

_MAX_TEXT_MESSAGE = 500
_CHUNK = 64 * 1024


def decode_body(raw: bytes) -> Any:
    """Parse ``raw`` as JSON if possible, else return it as text (``None`` when empty)."""
    if not raw.strip():
        return None
    try:
        return _json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


class RawAnswer:
    """A 2xx answer handed over undecoded (``Transport.request(..., raw=True)``).

    ``body`` is exactly what was received; ``problem`` says why it is incomplete when reading it
    failed after the status line had arrived (the request was applied all the same); ``headers``
    are the answer's headers.
    """

    __slots__ = ("body", "headers", "problem", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        problem: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.problem = problem
        self.headers: Mapping[str, str] = headers if headers is not None else {}

    def __repr__(self) -> str:
        return f"RawAnswer(status={self.status}, {len(self.body)} bytes, problem={self.problem!r})"


def parse_retry_after(
    value: str | None, *, cap: float, now: datetime | None = None
) -> float | None:
    """Return how many seconds to wait, capped at ``cap``; ``None`` if absent or unreadable.

    Accepts delta-seconds (``"120"``, also ``"1.5"`` leniently) and HTTP-dates
    (``"Wed, 21 Oct 2026 07:28:00 GMT"``). A date in the past means "now" (0 s).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


def _first(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _field_errors(raw: Any) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): _message_text(v) for k, v in raw.items()}
    errors: dict[str, str] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                name = _first(item, _wire.ERROR_FIELD_NAME_KEYS) or "(unknown field)"
                errors[str(name)] = _message_text(_first(item, _wire.ERROR_FIELD_MESSAGE_KEYS))
            elif isinstance(item, str):
                errors.setdefault("(request)", item)
    return errors


def _message_text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def build_status_error(
    *,
    status: int,
    reason: str | None,
    raw: bytes,
    headers: CIMultiDictProxy[str],
    method: str,
    path: str,
    retry_after_cap: float,
    outcome_unknown: bool,
) -> APIStatusError:
    """Build the typed error for one non-2xx response."""
    body = decode_body(raw)
    code: str | None = None
    field_errors: dict[str, str] = {}
    if isinstance(body, Mapping):
        message = _message_text(_first(body, _wire.ERROR_MESSAGE_KEYS))
        raw_code = _first(body, _wire.ERROR_CODE_KEYS)
        code = None if raw_code is None else str(raw_code)
        field_errors = _field_errors(_first(body, _wire.ERROR_FIELDS_KEYS))
    elif isinstance(body, str):
        message = body.strip()[:_MAX_TEXT_MESSAGE]
    else:
        message = ""
    if not message:
        message = reason or "HTTP error"
    request_id = next((headers[h] for h in _wire.REQUEST_ID_HEADERS if h in headers), None)
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "field_errors": field_errors,
        "request_id": request_id,
        "body": body,
        "method": method,
        "path": path,
        "outcome_unknown": outcome_unknown,
    }
    cls = status_error_class(status)
    if cls is RateLimitError:
        retry_after = parse_retry_after(headers.get("Retry-After"), cap=retry_after_cap)
        return RateLimitError(message, retry_after=retry_after, **common)
    if cls is RedirectError:
        location = headers.get("Location")
        where = f"redirected to {location}" if location else "a redirect without a Location"
        return RedirectError(f"{where}; not followed", location=location, **common)
    return cls(message, **common)


async def read_capped(resp: Any, cap: int, *, truncate: bool = False) -> bytes | None:
    """Read ``resp``'s body, stopping once it exceeds ``cap`` bytes (memory stays bounded).

    Returns the body; past the cap, its first ``cap`` bytes if ``truncate`` (error bodies), else
    ``None``. Past the cap the connection is closed, not returned to the pool half read.
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := await resp.content.read(min(_CHUNK, cap + 1 - size)):
        size += len(chunk)
        chunks.append(chunk)
        if size > cap:
            resp.close()
            return b"".join(chunks)[:cap] if truncate else None
    return b"".join(chunks)
