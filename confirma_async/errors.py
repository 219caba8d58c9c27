"""The exception hierarchy of ``confirma_async``.

Every error the library raises is a :class:`ConfirmaError`. HTTP failures are
:class:`APIStatusError` subclasses keyed by status; network failures are
:class:`APIConnectionError` / :class:`APITimeoutError`. Errors of a request whose outcome is unknown
(it may or may not have been applied by the server) carry ``outcome_unknown=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any


class ConfirmaError(Exception):
    """Base class of every error raised by this library."""

    outcome_unknown: bool = False


class ConfigurationError(ConfirmaError, ValueError):
    """An argument to the client itself (configuration, environment, token) is invalid."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class RequestValidationError(ConfirmaError, ValueError):
    """A request model broke a documented rule; nothing was sent.

    ``field`` is the wire path of the offending field (``invoice.header.currencyCode``).
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (got {value!r})")


class ResponseDecodeError(ConfirmaError):
    """A response did not match the documented schema (``path`` names where)."""

    def __init__(self, message: str, *, path: str = "", body: object = None) -> None:
        self.path = path
        self.body = body
        super().__init__(f"{path}: {message}" if path else message)


class TokenNotFoundError(ResponseDecodeError):
    """A 2xx answer that must carry an access token has none under a name the client knows.

    The server acted (a client was created, or a token renewed and the old one possibly revoked),
    so the answer is kept in ``raw_body`` (bytes, exactly as received; never logged and left out of
    the message and repr) for the token to be recovered from it; ``keys`` lists the answer's
    top-level keys; ``method`` and ``request_path`` name the request. Add a wire alias for the
    name it uses (``NewClient.access_token`` or ``RenewedToken.token``, see
    :class:`~confirma_async.WireAliases`).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        path: str,
        raw_body: bytes,
        keys: list[str],
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.request_path = path
        self.raw_body = raw_body
        self.keys = keys


class LookupInconclusiveError(ConfirmaError):
    """A lookup was answered, but the answer cannot tell whether the item exists.

    Records matched that the client could not read as the item looked for (a guessed field such
    as the record list or its invoice number arrives under another name), or the answer was cut.
    ``keys`` lists the wire keys the answer's records carry. Add a wire alias (``confirma doctor``
    suggests one); until then such an item is never re-sent blind.
    """

    def __init__(self, message: str, *, keys: list[str]) -> None:
        self.keys = keys
        super().__init__(message)


class ClientClosedError(ConfirmaError):
    """A request was made on a client that has been closed."""


class PaginationError(ConfirmaError):
    """Fetching one window of a listing failed; ``__cause__`` is the original error.

    ``window_start``/``window_end`` name the failing window. Records of earlier windows were
    already yielded; ``pager.checkpoint`` resumes at this window.
    """

    def __init__(self, message: str, *, source: str, window_start: date, window_end: date) -> None:
        self.source = source
        self.window_start = window_start
        self.window_end = window_end
        super().__init__(f"{source} window {window_start}..{window_end}: {message}")

    @property
    def error(self) -> BaseException | None:
        """The original error (same as ``__cause__``), e.g. a ``ServerError``."""
        return self.__cause__


class WindowTruncatedError(PaginationError):
    """A one-day window still holds more records than the server returns in one response.

    A day cannot be split further (the API filters by date), so rather than drop records the pager
    stops here. Narrow the query (e.g. ``invoice_number=``) or raise the server's limit.
    """

    def __init__(
        self, *, source: str, window_start: date, window_end: date, returned: int, total: int | None
    ) -> None:
        self.returned = returned
        self.total = total
        matched = f"{total} records matched" if total is not None else "the response hit the limit"
        super().__init__(
            f"{matched} but the server returned {returned}; a one-day window cannot be split "
            "further, so the pager stops instead of dropping records",
            source=source,
            window_start=window_start,
            window_end=window_end,
        )


class PagerStateError(ConfirmaError, RuntimeError):
    """A pager was iterated a second time (or after ``aclose``); a pager runs once."""


class JournalError(ConfirmaError):
    """The journal file cannot be used (unreadable line, locked by another process, I/O error)."""


class BatchBusyError(ConfirmaError, RuntimeError):
    """A ``BatchSubmitter`` runs one stream at a time; this one already has a stream open."""


class ResponseTooLargeError(ConfirmaError):
    """An answer's body exceeded ``ClientConfig.max_response_bytes``; reading stopped there.

    Nothing beyond the limit was read (memory stays bounded). A listing window that answers this is
    split by the pager, like a 413.
    """

    def __init__(self, message: str, *, limit: int, method: str = "", path: str = "") -> None:
        self.limit = limit
        self.method = method
        self.path = path
        super().__init__(message)


class CircuitOpenError(ConfirmaError):
    """The bulk submitter stopped sending: the server looked down (its circuit breaker opened).

    Raised as the ``error`` of every item not sent after that point; nothing was sent for it, so a
    rerun (with the same journal) sends it.
    """


class DuplicateInputError(ConfirmaError):
    """The same key (invoice number) appears twice in one bulk input.

    The second item is never sent on its own: it waits for the first and takes its outcome when the
    content is the same (then it is ``ALREADY_EXISTS``), or fails with this error when it differs.
    """


class APIConnectionError(ConfirmaError):
    """The request could not be completed at the network level.

    ``outcome_unknown`` is true when the request may have reached the server (for example the
    connection was reset after the body was written); false when it provably never left
    (connection refused).
    """

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        self.outcome_unknown = outcome_unknown
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request timed out; unless the timeout hit while connecting, the outcome is unknown."""


class APIStatusError(ConfirmaError):
    """The API answered with a non-2xx status."""

    status: int

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        field_errors: Mapping[str, str] | None = None,
        request_id: str | None = None,
        body: object = None,
        method: str = "",
        path: str = "",
        outcome_unknown: bool = False,
    ) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.field_errors: Mapping[str, str] = dict(field_errors or {})
        self.request_id = request_id
        self.body = body
        self.method = method
        self.path = path
        self.outcome_unknown = outcome_unknown
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.status}"]
        if self.method or self.path:
            parts.append(f"{self.method} {self.path}".strip())
        if self.code:
            parts.append(f"[{self.code}]")
        parts.append(self.message or "(no message)")
        text = " ".join(parts)
        if self.field_errors:
            fields = "; ".join(f"{k}: {v}" for k, v in self.field_errors.items())
            text += f" — {fields}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class RedirectError(APIStatusError):
    """3xx: the API answered with a redirect the client does not follow.

    ``location`` is where it pointed. Redirects are not followed by default; with
    ``ClientConfig(follow_redirects=True)`` only those to the same origin are, so the API key is
    never sent to another host. A 307/308 to a POST proves it was not applied; other 3xx leave a
    POST's outcome unknown.
    """

    def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
        self.location = location
        super().__init__(message, **kwargs)


class BadRequestError(APIStatusError):
    """400: the server rejected the request body or parameters."""


class AuthenticationError(APIStatusError):
    """401: the access token is missing, unknown, revoked or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the token is valid but not allowed to do this."""


class NotFoundError(APIStatusError):
    """404: the resource (path, invoice, case) does not exist."""


class ConflictError(APIStatusError):
    """409: the request conflicts with stored state (e.g. a duplicate invoice number)."""


class PayloadTooLargeError(APIStatusError):
    """413: the request or its result is too large (e.g. a date window too wide)."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but semantically invalid."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the server's wait hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIStatusError):
    """5xx: the server failed; for a POST the outcome is unknown."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """Return the exception class for an HTTP status (``ServerError`` for every 5xx)."""
    if status >= 500:
        return ServerError
    if 300 <= status < 400:
        return RedirectError
    return _BY_STATUS.get(status, APIStatusError)
