"""The per-call escape hatches every request accepts: ``extra_headers`` and ``extra_query``.

Checked here, below everything that sends (the resources and the token manager both use it), so a
header that would bypass the client (its API key) or split a request line fails before sending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from . import _wire
from .errors import RequestValidationError

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
