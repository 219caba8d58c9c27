"""Errors of an HTTP exchange: network failures and statuses, mapped by status code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import ConfirmaError


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
