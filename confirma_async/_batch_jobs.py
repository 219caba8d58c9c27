"""What the batch submitter does with one item: validate, consult the journal, send, reconcile.

The shared parts (context, per-item run, helpers) and the invoice jobs; actions are in
``_batch_actions``. Invoices (the API has no idempotency key, assumptions A6b/A7):

* a 201 is ``CREATED``; a 409 is ``ALREADY_EXISTS``;
* a failure that proves nothing was applied and may pass on another try (429, connection refused,
  both after the transport's own retries) is re-sent, within ``max_attempts``;
* a failure with ``outcome_unknown`` is reconciled before anything else: the invoice number is
  looked up on its invoice date; found is ``ALREADY_EXISTS``, proven absent is re-sent (within
  ``max_attempts``); a lookup that fails or cannot tell (``LookupInconclusiveError``) makes the
  item ``FAILED`` with ``outcome_unknown``, keeping the lookup's error as ``lookup_error``;
* anything else (400, 401 after renewal, 403, 404 ...) is ``FAILED``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import date
from typing import Any, Generic, ParamSpec, TypeVar

from ._batch_types import BatchResult, BatchStatus
from ._batch_window import BatchStats
from ._journal import BatchKey, Journal, JournalEntry, JournalError
from ._rate import RateLimiter
from .errors import (
    APIConnectionError,
    ConfirmaError,
    ConflictError,
    RateLimitError,
    RequestValidationError,
    ResponseDecodeError,
    ServerError,
)
from .models._convert import from_wire
from .models.actions import InvoiceAction
from .models.distribution import DistributionRecord
from .models.invoices import InvoiceCreated, InvoiceRequest
from .resources.invoices import Invoices

LOOKUP_ROUNDS = 3
"""How many rounds of transport retries a reconciliation lookup gets before giving up."""

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
P = ParamSpec("P")

InvoiceResponse = InvoiceCreated | DistributionRecord
"""``response`` of an invoice result: the 201 body, or the record found by the lookup."""

ActionKeyFunc = Callable[[InvoiceAction], BatchKey]
"""Gives an action its caller-chosen key (``int`` or ``str``, stable across runs)."""

_CREATED, _EXISTS, _FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
Outcome = BatchResult[T, R] | Coroutine[Any, Any, BatchResult[T, R]]
"""What ``prepare`` returns: a finished result (no request needed) or the coroutine that sends."""


def may_resend(error: ConfirmaError) -> bool:
    """True for failures that prove nothing was applied and may pass on another try."""
    return not error.outcome_unknown and isinstance(error, RateLimitError | APIConnectionError)


class Context:
    """What every job shares: the resource, limiter, counters, journal and attempt bound."""

    __slots__ = ("invoices", "journal", "limiter", "max_attempts", "stats")

    def __init__(
        self,
        invoices: Invoices,
        *,
        stats: BatchStats,
        limiter: RateLimiter | None,
        journal: Journal | None,
        max_attempts: int,
    ) -> None:
        self.invoices = invoices
        self.stats = stats
        self.limiter = limiter
        self.journal = journal
        self.max_attempts = max_attempts

    async def call(self, request: Callable[P, Awaitable[A]], *args: P.args, **kw: P.kwargs) -> A:
        """Send one request through the rate limit, counted in flight while it runs."""
        if self.limiter is not None:
            await self.limiter.acquire()
        self.sending()
        try:
            return await request(*args, **kw)
        finally:
            self.stats.in_flight -= 1

    def sending(self) -> None:
        """Count a request that starts now (``stats.in_flight -= 1`` when it ends)."""
        stats = self.stats
        stats.requests += 1
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight


class Run(Generic[T, R]):
    """One item being processed: counts its requests, journals and builds its result."""

    __slots__ = ("attempts", "ctx", "index", "item", "key", "kind", "lookups", "started")

    def __init__(self, ctx: Context, kind: str, index: int, item: T, key: BatchKey) -> None:
        self.ctx = ctx
        self.kind = kind
        self.index = index
        self.item = item
        self.key = key
        self.attempts = 0
        self.lookups = 0
        self.started = time.perf_counter()

    def next_attempt(self) -> bool:
        """Count a submission if the bound allows one more."""
        if self.attempts >= self.ctx.max_attempts:
            return False
        if self.attempts == 0:
            if self.ctx.journal is not None:
                self.ctx.journal.sending(self.kind, self.key)
        else:
            self.ctx.stats.resends += 1
        self.attempts += 1
        return True

    def done(
        self,
        status: BatchStatus,
        *,
        response: R | None = None,
        error: Exception | None = None,
        unknown: bool = False,
        lookup_error: Exception | None = None,
    ) -> BatchResult[T, R]:
        journal = self.ctx.journal
        if journal is not None:
            journal.finished(
                self.kind,
                self.key,
                status.value,
                unknown=unknown,
                attempts=self.attempts,
                error=None if error is None else type(error).__name__,
            )
        return BatchResult(
            item=self.item,
            key=self.key,
            index=self.index,
            status=status,
            response=response,
            error=error,
            attempts=self.attempts,
            lookups=self.lookups,
            elapsed=time.perf_counter() - self.started,
            outcome_unknown=unknown,
            lookup_error=lookup_error,
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


def invalid(item: T, index: int, key: BatchKey | None, error: Exception) -> BatchResult[T, Any]:
    """The result of an item that failed client-side validation: no request was made."""
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
    """``item`` if it is a ``cls``; a wire-format mapping decoded (and validated) as one."""
    if isinstance(item, cls):
        return item
    if isinstance(item, Mapping):
        try:
            return from_wire(item, cls)
        except ResponseDecodeError as exc:
            raise RequestValidationError(exc.path or field, None, str(exc)) from exc
    raise RequestValidationError(
        field, type(item).__name__, f"must be a {cls.__name__} or a wire-format mapping"
    )


def _number_in(item: object) -> int | None:
    """Best effort: the invoice number of a mapping that failed validation (for ``key``)."""
    try:
        number = item["invoice"]["header"]["number"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        return None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


class InvoiceJobs(Generic[T]):
    """Submits invoices; the key is the invoice number."""

    kind = "invoice"

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def prepare(self, index: int, item: T) -> Outcome[T, InvoiceResponse]:
        """A finished result (invalid, or done per the journal) or the coroutine that sends."""
        try:
            invoice = as_model(item, InvoiceRequest, "invoice")
        except Exception as exc:  # one bad item never stops the batch
            return invalid(item, index, _number_in(item), exc)
        key = invoice.invoice_number
        lookup_first = False
        journal = self._ctx.journal
        if journal is not None and (entry := journal.get(self.kind, key)) is not None:
            if entry.done:
                return from_journal(item, index, key, entry)
            lookup_first = entry.maybe_sent
        run: Run[T, InvoiceResponse] = Run(self._ctx, self.kind, index, item, key)
        return self._submit(run, invoice, lookup_first)

    async def _submit(
        self, run: Run[T, InvoiceResponse], invoice: InvoiceRequest, lookup_first: bool
    ) -> BatchResult[T, InvoiceResponse]:
        """Send (and reconcile) one invoice; ``Run.guard``'s safety net is inlined here.

        Perf: this is the bulk hot path, and every await layer between the worker and aiohttp is
        re-entered at each suspension of the request, so neither ``guard`` nor ``Context.call``
        wraps the POST.
        """
        ctx = self._ctx
        try:
            number, day = invoice.invoice_number, invoice.invoice.header.date
            if lookup_first:  # an earlier run may have stored it: ask before sending
                try:
                    record = await self._lookup(run, number, day)
                except ConfirmaError as exc:
                    return run.done(_FAILED, error=exc, unknown=True, lookup_error=exc)
                if record is not None:
                    return run.done(_EXISTS, response=record)
            error: ConfirmaError | None = None
            while run.next_attempt():
                if ctx.limiter is not None:
                    await ctx.limiter.acquire()
                ctx.sending()
                try:
                    try:
                        created = await ctx.invoices.create(invoice)
                    finally:
                        ctx.stats.in_flight -= 1  # before any lookup below counts its own
                except ConflictError:
                    return run.done(_EXISTS)
                except ConfirmaError as exc:
                    error = exc
                    if may_resend(exc):
                        continue
                    if not exc.outcome_unknown:
                        return run.done(_FAILED, error=exc)
                    try:
                        record = await self._lookup(run, number, day)
                    except ConfirmaError as lookup_error:  # chained: raised handling ``exc``
                        return run.done(_FAILED, error=exc, unknown=True, lookup_error=lookup_error)
                    if record is not None:
                        return run.done(_EXISTS, response=record)
                    continue  # not on the server: safe to send again
                return run.done(_CREATED, response=created)
            return run.done(_FAILED, error=error)
        except JournalError:
            raise  # the stream cannot keep its promise any more: stop it
        except Exception as exc:
            return run.failed_unexpectedly(exc)

    async def _lookup(
        self, run: Run[T, InvoiceResponse], number: int, day: date
    ) -> DistributionRecord | None:
        """Ask whether the server has ``number``; transient failures are asked again.

        A lookup is a safe GET, and giving up turns an item that may well be stored into a
        FAILED result a person has to check, so it gets ``LOOKUP_ROUNDS`` rounds of the
        transport's own retries before the item is given up as unknown.
        """
        ctx = self._ctx
        for round_ in range(1, LOOKUP_ROUNDS + 1):
            run.lookups += 1
            ctx.stats.lookups += 1
            try:
                return await ctx.call(ctx.invoices.find_distribution, number, day)
            except (APIConnectionError, RateLimitError, ServerError):
                if round_ == LOOKUP_ROUNDS:
                    raise
        raise AssertionError("unreachable")
