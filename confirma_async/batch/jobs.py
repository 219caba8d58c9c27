"""The shared machinery of one batch item: its context, its run, the results that need no request.

:class:`Context` is what every item shares (the invoices resource, counters, rate limit, journal,
attempt bound); :class:`Run` follows one item (its requests, journal lines and result). The invoice
jobs are in ``invoices``, the action jobs in ``actions``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Generic, ParamSpec, TypeVar

import attrs

from .._core.json import dumps
from .._core.slots import slot_builder
from ..errors import (
    APIConnectionError,
    CircuitOpenError,
    ConfirmaError,
    JournalError,
    RateLimitError,
    RequestValidationError,
)
from ..models._convert import from_wire, to_wire
from ..resources.invoices import Invoices
from ._store import JournalStore
from .guards import CircuitBreaker, DuplicateKeys, Pacing
from .journal import JournalEntry
from .rate import RateLimiter
from .results import BatchKey, BatchResult, BatchStats, BatchStatus

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
P = ParamSpec("P")

_CREATED, _EXISTS, _FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
Prepared = BatchResult[T, R] | Coroutine[Any, Any, BatchResult[T, R]]
"""What ``prepare`` returns: a finished result (no request needed) or the coroutine that sends."""


def may_resend(error: ConfirmaError) -> bool:
    """True for failures that prove nothing was applied and may pass on another try."""
    return not error.outcome_unknown and isinstance(error, RateLimitError | APIConnectionError)


class Context:
    """What every job shares: the resource, limiter, counters, journal, attempt bound, guards.

    ``pacing`` spaces re-sends, ``breaker`` (if any) stops sending when the server looks down,
    ``duplicates`` catches a key repeated in the input; ``strict_journal`` refuses an item whose
    content differs from what the journal recorded for its key.
    """

    __slots__ = (
        "breaker",
        "duplicates",
        "invoices",
        "journal",
        "limiter",
        "max_attempts",
        "pacing",
        "stats",
        "strict_journal",
    )

    def __init__(
        self,
        invoices: Invoices,
        *,
        stats: BatchStats,
        limiter: RateLimiter | None,
        journal: JournalStore | None,
        max_attempts: int,
        pacing: Pacing,
        breaker: CircuitBreaker | None = None,
        strict_journal: bool = True,
    ) -> None:
        self.invoices = invoices
        self.stats = stats
        self.limiter = limiter
        self.journal = journal
        self.max_attempts = max_attempts
        self.pacing = pacing
        self.breaker = breaker
        self.duplicates = DuplicateKeys()
        self.strict_journal = strict_journal

    @property
    def log(self) -> Any:
        """The client's logger: batch decisions are logged at INFO (``confirma_batch_*``)."""
        return self.invoices._transport.logger

    async def call(self, request: Callable[P, Awaitable[A]], *args: P.args, **kw: P.kwargs) -> A:
        """Send one request through the rate limit, counted in flight while it runs."""
        if self.limiter is not None:
            await self.limiter.acquire()
        self.sending()
        try:
            return await request(*args, **kw)
        finally:
            self.stats.in_flight -= 1

    def held(self) -> CircuitOpenError | None:
        """Why an item must not be sent now (the breaker is open), or ``None``."""
        breaker = self.breaker
        return breaker.error() if breaker is not None and breaker.opened else None

    def record(self, error: ConfirmaError | None) -> None:
        """Tell the breaker how a submission ended (``None``: the server answered it)."""
        if self.breaker is not None:
            self.breaker.record(error)

    def sending(self) -> None:
        """Count a request that starts now (``stats.in_flight -= 1`` when it ends)."""
        stats = self.stats
        stats.requests += 1
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight


class Run(Generic[T, R]):
    """One item being processed: counts its requests, journals and builds its result."""

    __slots__ = (
        "attempts",
        "content",
        "ctx",
        "index",
        "item",
        "key",
        "kind",
        "lookups",
        "refused",
        "started",
        "unique",
    )

    def __init__(
        self,
        ctx: Context,
        kind: str,
        index: int,
        item: T,
        key: BatchKey,
        *,
        content: int | None = None,
        unique: bool = False,
    ) -> None:
        self.ctx = ctx
        self.kind = kind
        self.index = index
        self.item = item
        self.key = key
        self.content = content
        """The content hash (stable across runs, and journaled, when there is a journal)."""
        self.unique = unique
        """Registered in ``ctx.duplicates``: its result releases later copies of its key."""
        self.attempts = 0
        self.lookups = 0
        self.refused = False
        """The journal says the last attempt was refused (see :meth:`refused_before_resend`)."""
        self.started = time.perf_counter()

    def start_attempt(self) -> CircuitOpenError | None:
        """Count a submission about to be sent, or return why it is held back (nothing counted).

        The caller bounds the attempts (``ctx.max_attempts``) and paces re-sends first.
        """
        ctx = self.ctx
        held = ctx.held()
        if held is not None:
            return held
        if self.attempts == 0 or self.refused:
            self.refused = False
            if ctx.journal is not None:
                ctx.journal.sending(self.kind, self.key, self.content)
        if self.attempts:
            ctx.stats.resends += 1
        self.attempts += 1
        return None

    def refused_before_resend(self, error: ConfirmaError | None) -> None:
        """Journal that the last attempt was provably not applied (429, refused connection).

        Written before the wait for the re-send: a run that stops during that wait leaves the
        item to be sent again by the next run, not in doubt. The re-send journals ``SENDING``.
        ``None``: the run stops while nothing of the attempt may have been applied.
        """
        if self.ctx.journal is not None:
            self._finished(_FAILED, False, "CancelledError" if error is None else error)
            self.refused = True

    def done(
        self,
        status: BatchStatus,
        *,
        response: R | None = None,
        error: Exception | None = None,
        unknown: bool = False,
        lookup_error: Exception | None = None,
    ) -> BatchResult[T, R]:
        """Journal the item as finished and build its one :class:`BatchResult`."""
        if self.unique:
            self.ctx.duplicates.finished(self.key, status is not _FAILED)
        if self.ctx.journal is not None:
            self._finished(status, unknown, error)
        elapsed = time.perf_counter() - self.started
        return _new_result(  # every item's result: its slots filled directly (see _core.slots)
            self.item, self.key, self.index, status, response, error, self.attempts,
            self.lookups, elapsed, unknown, False, lookup_error,
        )  # fmt: skip

    def _finished(self, status: BatchStatus, unknown: bool, error: object) -> None:
        """Journal the item's outcome (``error``: an exception, or the name to record)."""
        assert self.ctx.journal is not None
        self.ctx.journal.finished(
            self.kind,
            self.key,
            status.value,
            unknown=unknown,
            attempts=self.attempts,
            error=error if error is None or isinstance(error, str) else type(error).__name__,
        )

    async def guard(
        self, work: Callable[P, Awaitable[BatchResult[T, R]]], *args: P.args, **kw: P.kwargs
    ) -> BatchResult[T, R]:
        """Run ``work``; an unexpected exception becomes FAILED (unknown if anything was sent).

        ``work`` is called here, not by the caller, so a task cancelled before it starts leaves no
        coroutine un-awaited.
        """
        try:
            return await work(*args, **kw)
        except JournalError:
            raise  # the stream cannot keep its promise any more: stop it
        except Exception as exc:
            return self.failed_unexpectedly(exc)

    def failed_unexpectedly(self, error: Exception) -> BatchResult[T, R]:
        """FAILED for an unexpected exception; unknown if anything was sent or asked."""
        return self.done(_FAILED, error=error, unknown=self.attempts > 0 or self.lookups > 0)


_RESULT_FIELDS = [f.name for f in attrs.fields(BatchResult)]


def _result_by_init(*values: Any) -> BatchResult[Any, Any]:
    return BatchResult(**dict(zip(_RESULT_FIELDS, values, strict=True)))


_new_result: Callable[..., BatchResult[Any, Any]] = (
    slot_builder(BatchResult, _RESULT_FIELDS) or _result_by_init
)


def content_of(model: Any) -> int:
    """A stable hash of what ``model`` sends (its wire JSON, keys sorted): never 0."""
    return digest(dumps(to_wire(model), sort_keys=True))


def digest(body: bytes) -> int:
    """A stable 63-bit hash of a written body (the same across runs and processes): never 0."""
    return int.from_bytes(hashlib.blake2b(body, digest_size=8).digest()) >> 1 or 1


def invalid(item: T, index: int, key: BatchKey | None, error: Exception) -> BatchResult[T, Any]:
    """The result of an item no request was made for (invalid, or held back): a known failure."""
    return BatchResult(item=item, key=key, index=index, status=_FAILED, error=error)


def from_journal(item: T, index: int, key: BatchKey, entry: JournalEntry) -> BatchResult[T, Any]:
    """The result of an item whose state the journal already has: no request is made."""
    if entry.done:
        status = BatchStatus(entry.status)
        return BatchResult(item=item, key=key, index=index, status=status, from_journal=True)
    error = ConfirmaError(
        f"{key!r}: an earlier run sent this action and its outcome is unknown; it is never "
        "re-sent automatically (check the case, then drop its lines from the journal)"
    )
    error.outcome_unknown = True
    return BatchResult(
        item=item,
        key=key,
        index=index,
        status=_FAILED,
        error=error,
        outcome_unknown=True,
        from_journal=True,
    )


def as_model(item: object, cls: type[A], field: str) -> A:
    """``item`` if it is a ``cls``; a wire-format mapping decoded strictly (and validated) as one.

    Strictly: only the documented JSON types pass (see :mod:`confirma_async.models`), and any
    error is a :class:`RequestValidationError` naming the wire path.
    """
    if isinstance(item, cls):
        return item
    if isinstance(item, Mapping):
        return from_wire(item, cls, strict=True)
    raise RequestValidationError(
        field, type(item).__name__, f"must be a {cls.__name__} or a wire-format mapping"
    )
