"""The argument checks the whole library shares: dates, windows, ids, tokens and per-call extras.

Every check names the argument and the value it refuses (``RequestValidationError`` for a request's
arguments, ``ConfigurationError`` for the client's own). ``extra_headers``/``extra_query`` are
checked here, below everything that sends (resources and the token manager), so a header that would
bypass the client (its API key) or split a request line fails before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from ..errors import ConfigurationError, RequestValidationError
from . import wire as _wire

_ONE_DAY = timedelta(days=1)

ExtraHeaders = Mapping[str, str] | None
"""Headers a call sends in addition to the client's own (``extra_headers=``)."""
ExtraQuery = Mapping[str, str | int] | None
"""Query parameters a call sends in addition to (or instead of) the method's own."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RESERVED_HEADERS = frozenset({_wire.API_KEY_HEADER.lower(), "host", "content-length"})


def check_headers(headers: object) -> Mapping[str, str] | None:
    """``extra_headers`` checked: names are HTTP tokens, values one line, no credentials.

    The API key header is the client's (a wrong key here would bypass renewal and redaction), and
    ``Host``/``Content-Length`` belong to the HTTP layer.
    """
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise RequestValidationError("extra_headers", headers, "must be a mapping of str to str")
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise RequestValidationError("extra_headers", name, "is not a valid header name")
        if name.lower() in _RESERVED_HEADERS:
            raise RequestValidationError(
                f"extra_headers.{name}", "<redacted>", "is set by the client and cannot be given"
            )
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            shown = value if not isinstance(value, str) else "<a value with a line break>"
            raise RequestValidationError(
                f"extra_headers.{name}", shown, "must be a str on one line (no CR, LF or NUL)"
            )
    return headers


def with_query(params: dict[str, str] | None, extra: object) -> dict[str, str] | None:
    """``params`` with ``extra_query`` merged in (an extra key overrides the method's own)."""
    if extra is None:
        return params
    if not isinstance(extra, Mapping):
        raise RequestValidationError("extra_query", extra, "must be a mapping of str to str")
    merged = dict(params or {})
    for name, value in extra.items():
        if not isinstance(name, str) or not name:
            raise RequestValidationError("extra_query", name, "names must be non-empty strings")
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise RequestValidationError(f"extra_query.{name}", value, "must be a str or an int")
        merged[name] = str(value)
    return merged


def check_extras(extra_headers: object, extra_query: object) -> None:
    """Check a pager's or watcher's extras when it is built, before any request."""
    check_headers(extra_headers)
    with_query(None, extra_query)


def check_date(field: str, value: object) -> date:
    """Return ``value`` if it is a ``datetime.date`` (not a datetime), else raise."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise RequestValidationError(field, value, "must be a datetime.date")
    return value


def window(from_key: str, to_key: str, from_date: date, to_date: date) -> dict[str, str]:
    """Query parameters for an inclusive ``[from_date, to_date]`` window (ISO dates)."""
    start = check_date(from_key, from_date)
    end = check_date(to_key, to_date)
    if end < start:
        raise RequestValidationError(to_key, end, f"must not be before {from_key}={start}")
    return {from_key: start.isoformat(), to_key: end.isoformat()}


def whole_days(field: str, value: object) -> int:
    """Return ``value`` (a ``timedelta`` of whole days, at least one) as a number of days."""
    if not isinstance(value, timedelta) or value < _ONE_DAY or value % _ONE_DAY:
        raise RequestValidationError(field, value, "must be a timedelta of whole days, >= 1 day")
    return value.days


def positive_int(field: str, value: object) -> int:
    """Return ``value`` if it is a positive ``int`` (``bool`` excluded), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RequestValidationError(field, value, "must be a positive integer")
    return value


def non_negative_int(field: str, value: object) -> int:
    """Return ``value`` if it is an ``int`` >= 0 (``bool`` excluded), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestValidationError(field, value, "must be an integer >= 0")
    return value


def require_model(field: str, value: object, cls: type) -> None:
    """Raise a clear error when a caller passes a dict or the wrong model type."""
    if not isinstance(value, cls):
        raise RequestValidationError(
            field, type(value).__name__, f"must be a {cls.__name__} instance"
        )


def check_token(token: object, field: str = "api_key") -> str:
    """Return ``token`` if it is a non-empty string fit for a header; the error never shows it."""
    if not isinstance(token, str) or not token.strip():
        raise ConfigurationError(field, "<redacted>", "must be a non-empty string")
    if any(c < " " or c == "\x7f" for c in token) or not token.isascii():
        raise ConfigurationError(
            field, "<redacted>", "must be printable ASCII (no control characters, CR or LF)"
        )
    return token
