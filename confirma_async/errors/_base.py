"""Errors raised before or around HTTP: bad input, bad answers, pagination, batches, journals."""

from __future__ import annotations

from datetime import date


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
