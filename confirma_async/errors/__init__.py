"""The exception hierarchy of ``confirma_async``.

Every error the library raises is a :class:`ConfirmaError`. HTTP failures are
:class:`APIStatusError` subclasses keyed by status; network failures are
:class:`APIConnectionError` / :class:`APITimeoutError`. Errors of a request whose outcome is unknown
(it may or may not have been applied by the server) carry ``outcome_unknown=True``.
"""

from __future__ import annotations

from ._base import (
    BatchBusyError,
    CircuitOpenError,
    ClientClosedError,
    ConfigurationError,
    ConfirmaError,
    DuplicateInputError,
    JournalError,
    LookupInconclusiveError,
    PagerStateError,
    PaginationError,
    RequestValidationError,
    ResponseDecodeError,
    ResponseTooLargeError,
    TokenNotFoundError,
    WindowTruncatedError,
)
from ._http import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ServerError,
    UnprocessableEntityError,
    status_error_class,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchBusyError",
    "CircuitOpenError",
    "ClientClosedError",
    "ConfigurationError",
    "ConfirmaError",
    "ConflictError",
    "DuplicateInputError",
    "JournalError",
    "LookupInconclusiveError",
    "NotFoundError",
    "PagerStateError",
    "PaginationError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "RequestValidationError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ServerError",
    "TokenNotFoundError",
    "UnprocessableEntityError",
    "WindowTruncatedError",
    "status_error_class",
]
