"""Submitting invoices in bulk: validate, consult the journal, send, reconcile; one result each.

The API has no idempotency key (assumptions A6b/A7), so:

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

from datetime import date
from typing import Generic, TypeVar

from ..errors import (
    APIConnectionError,
    ConfirmaError,
    ConflictError,
    JournalError,
    RateLimitError,
    ServerError,
)
from ..models.distribution import DistributionRecord
from ..models.invoices import InvoiceCreated, InvoiceRequest
from .jobs import Context, Prepared, Run, as_model, from_journal, invalid, may_resend
from .results import BatchResult, BatchStatus

LOOKUP_ROUNDS = 3
"""How many rounds of transport retries a reconciliation lookup gets before giving up."""

T = TypeVar("T")

InvoiceResponse = InvoiceCreated | DistributionRecord
"""``response`` of an invoice result: the 201 body, or the record found by the lookup."""

_CREATED, _EXISTS, _FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED


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

    def prepare(self, index: int, item: T) -> Prepared[T, InvoiceResponse]:
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
