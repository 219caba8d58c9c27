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

import asyncio
from datetime import date
from typing import Any, Generic, TypeVar

from attrs import fields

from .._core.json import dumps
from .._core.wire import CODE_DUPLICATE_INVOICE
from ..errors import (
    APIConnectionError,
    ConfirmaError,
    ConflictError,
    DuplicateInputError,
    JournalError,
    RateLimitError,
    ServerError,
)
from ..models._fields import wire_name
from ..models._request_wire import wire_writer
from ..models.distribution import DistributionRecord
from ..models.invoices import Invoice, InvoiceCreated, InvoiceHeader, InvoiceRequest
from ..resources.invoices import encode_invoice
from .jobs import (
    Context,
    Prepared,
    Run,
    as_model,
    digest,
    from_journal,
    invalid,
    may_resend,
)
from .results import BatchResult, BatchStatus

LOOKUP_ROUNDS = 3
"""How many rounds of transport retries a reconciliation lookup gets before giving up."""

T = TypeVar("T")

InvoiceResponse = InvoiceCreated | DistributionRecord
"""``response`` of an invoice result: the 201 body, or the record found by the lookup."""

_CREATED, _EXISTS, _FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED


def _changed(key: int) -> JournalError:
    return JournalError(
        f"invoice {key}: the journal recorded other content for this number (it was sent with "
        "other fields, e.g. amounts); not sent again. Use another journal, or "
        "accept_journal_mismatch=True to go by what the journal recorded"
    )


_write_wire = wire_writer(InvoiceRequest)
_INVOICE, _HEADER = wire_name(fields(InvoiceRequest).invoice), wire_name(fields(Invoice).header)
_NUMBER, _DATE = wire_name(fields(InvoiceHeader).number), wire_name(fields(InvoiceHeader).date)


class WrittenInvoice:
    """An invoice dict already checked and written (:func:`write_invoice`): the batch sends it.

    ``confirma submit`` reads its lines into these, so a line is checked (and a bad one
    reported by its number) before the batch sees it, without a model built in between.
    """

    __slots__ = ("body", "date", "number")

    def __init__(self, body: bytes, number: int, day: date) -> None:
        self.body = body
        self.number = number
        self.date = day

    def __repr__(self) -> str:
        return f"WrittenInvoice(number={self.number}, date={self.date.isoformat()})"


def write_invoice(data: Any) -> WrittenInvoice | None:
    """``data`` (a wire dict) checked and written as the batch sends it, or ``None``.

    ``None`` for anything but the common, well-formed case: build the model then (it names what
    is wrong, if anything).
    """
    written = _from_dict(data) if type(data) is dict else None
    return None if written is None else WrittenInvoice(*written)


def _from_dict(item: Any) -> tuple[bytes, int, date] | None:
    """``(body, number, date)`` of a well-formed wire dict, written with no model in between.

    Exactly what :func:`encode_invoice` writes for the model the dict makes; ``None`` for
    anything else (the model path then writes it, or names what is wrong).
    """
    if _write_wire is None:
        return None
    try:
        wire = _write_wire(item)
        body = dumps(wire, sort_keys=True)
    except Exception:  # Unusual, or anything else: the model path decides
        return None
    header = wire[_INVOICE][_HEADER]
    return body, header[_NUMBER], date.fromisoformat(header[_DATE])


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
        """A finished result (invalid, held back, or per the journal), or the coroutine to run."""
        ctx = self._ctx
        # The body is written once: sent, journaled and compared as is.
        written = _from_dict(item) if type(item) is dict else None
        if written is not None:
            body, key, day = written
        elif isinstance(item, WrittenInvoice):
            body, key, day = item.body, item.number, item.date
        else:
            try:
                invoice = as_model(item, InvoiceRequest, "invoice")
                body = encode_invoice(invoice)
            except Exception as exc:  # one bad item never stops the batch
                return invalid(item, index, _number_in(item), exc)
            # Only the number, date and body are kept: a model freed now never reaches the
            # collector's older generations.
            key, day = invoice.invoice_number, invoice.invoice.header.date
        journal = ctx.journal
        # The journal needs a hash that is the same in the next run; in one run any will do.
        content = hash(body) if journal is None else digest(body)
        earlier = ctx.duplicates.first(key, index, content)
        if earlier is not None:
            return self._duplicate(index, item, key, content, earlier)
        if (held := ctx.held()) is not None:
            ctx.duplicates.finished(key, False)
            return invalid(item, index, key, held)
        lookup_first = False
        if journal is not None and (entry := journal.get(self.kind, key)) is not None:
            if ctx.strict_journal and entry.content not in (None, content):
                ctx.duplicates.finished(key, False)
                return invalid(item, index, key, _changed(key))
            if entry.done:
                ctx.duplicates.finished(key, True)
                ctx.log.info("confirma_batch_skip", invoice_number=key, journal=entry.status)
                return from_journal(item, index, key, entry)
            lookup_first = entry.maybe_sent
        run: Run[T, InvoiceResponse] = Run(
            ctx, self.kind, index, item, key, content=content, unique=True
        )
        return self._submit(run, key, day, body, lookup_first)

    async def _duplicate(
        self, index: int, item: T, key: int, content: int, earlier: tuple[int, int, Any]
    ) -> BatchResult[T, InvoiceResponse]:
        """A key seen before in this input: wait for the first copy, never send this one."""
        first_index, first_content, outcome = earlier
        ok = await outcome if isinstance(outcome, asyncio.Future) else outcome
        same = first_content == content
        if same and ok:
            return BatchResult(item=item, key=key, index=index, status=_EXISTS)
        why = "with other content than" if not same else "after a failure of"
        error = DuplicateInputError(
            f"invoice {key} appears again at input index {index}, {why} index {first_index}: "
            "it was not sent a second time"
        )
        return invalid(item, index, key, error)

    async def _submit(
        self, run: Run[T, InvoiceResponse], number: int, day: date, body: bytes, lookup_first: bool
    ) -> BatchResult[T, InvoiceResponse]:
        """Send (and reconcile) one invoice; ``Run.guard``'s safety net is inlined here.

        Perf: this is the bulk hot path, and every await layer between the worker and aiohttp is
        re-entered at each suspension of the request, so neither ``guard`` nor ``Context.call``
        wraps the POST.
        """
        ctx = self._ctx
        try:
            if lookup_first:  # an earlier run may have stored it: ask before sending
                try:
                    record = await self._lookup(run, number, day)
                except ConfirmaError as exc:
                    return run.done(_FAILED, error=exc, unknown=True, lookup_error=exc)
                if record is not None:
                    return run.done(_EXISTS, response=record)
            error: ConfirmaError | None = None
            while run.attempts < ctx.max_attempts:
                if run.attempts:  # a re-send: the failure lasted past the transport's retries
                    ctx.log.info(
                        "confirma_batch_resend",
                        invoice_number=number,
                        attempt=run.attempts + 1,
                        error_type=type(error).__name__,
                    )
                    await ctx.pacing.pause(run.attempts + 1, error)
                if (held := run.start_attempt()) is not None:
                    return run.done(_FAILED, error=held)
                if ctx.limiter is not None:
                    await ctx.limiter.acquire()
                ctx.sending()
                try:
                    try:
                        created = await ctx.invoices._create_encoded(body)
                    finally:
                        ctx.stats.in_flight -= 1  # before any lookup below counts its own
                except ConflictError as conflict:
                    ctx.record(None)
                    return await self._conflict(run, conflict, number, day)
                except ConfirmaError as exc:
                    error = exc
                    ctx.record(exc)
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
                ctx.record(None)
                return run.done(_CREATED, response=created)
            return run.done(_FAILED, error=error)
        except JournalError:
            raise  # the stream cannot keep its promise any more: stop it
        except Exception as exc:
            return run.failed_unexpectedly(exc)

    async def _conflict(
        self, run: Run[T, InvoiceResponse], conflict: ConflictError, number: int, day: date
    ) -> BatchResult[T, InvoiceResponse]:
        """A 409: not applied by this request; whether the invoice is stored depends on the code.

        A7: ``DUPLICATE_INVOICE`` (or no code) means it is stored already; any other code (a
        locked invoice, say) is checked by a lookup before the item is called existing.
        """
        if conflict.code in (None, CODE_DUPLICATE_INVOICE):
            return run.done(_EXISTS)
        try:
            record = await self._lookup(run, number, day)
        except ConfirmaError as lookup_error:
            return run.done(_FAILED, error=conflict, lookup_error=lookup_error)
        if record is not None:
            return run.done(_EXISTS, response=record)
        return run.done(_FAILED, error=conflict)

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
            attributes = {"confirma.invoice_number": str(number), "confirma.window": f"{day}/{day}"}
            try:
                with ctx.invoices._span("confirma.batch.lookup", attributes):
                    record = await ctx.call(ctx.invoices.find_distribution, number, day)
            except (APIConnectionError, RateLimitError, ServerError) as exc:
                ctx.log.info(
                    "confirma_batch_lookup",
                    invoice_number=number,
                    round=round_,
                    found=None,
                    error_type=type(exc).__name__,
                )
                if round_ == LOOKUP_ROUNDS:
                    raise
            else:
                ctx.log.info(
                    "confirma_batch_lookup",
                    invoice_number=number,
                    round=round_,
                    found=record is not None,
                )
                return record
        raise AssertionError("unreachable")
