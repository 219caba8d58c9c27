"""Invoices: create invoices and actions, read case details and distribution records.

Every method takes ``extra_headers`` and ``extra_query``: sent in addition to what the method sends
(the *Create an invoice* page lists header parameters the public docs do not show).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from typing import Any, TypeVar, Unpack

from .._core import wire as _wire
from .._core.checks import (
    ExtraHeaders,
    ExtraQuery,
    check_date,
    check_extras,
    check_headers,
    positive_int,
    require_model,
    window,
    with_query,
)
from .._core.json import dumps
from .._core.responses import RawAnswer
from ..errors import LookupInconclusiveError, RequestValidationError
from ..models._convert import to_wire
from ..models._created_fast import decode_created
from ..models._distribution_fast import decode_distribution_bytes, decode_distribution_window
from ..models.actions import ActionsQueued, ActionsRequest
from ..models.cases import CaseDetails
from ..models.distribution import DistributionPage, DistributionRecord
from ..models.invoices import InvoiceCreated, InvoiceRequest
from ..pagination.coordination import StreamKey, WatchCoordination
from ..pagination.pager import AsyncPager, PagerOptions
from ..pagination.pages import Unbuilt, WindowFetch, WindowResult
from ..pagination.watch import Clock, DistributionWatcher, Sleep
from ..pagination.windows import ONE_DAY
from ._base import Resource

T = TypeVar("T")
_DistributionQuery = tuple[date, date, int | None, str | None, ExtraHeaders, ExtraQuery]


def encode_invoice(invoice: InvoiceRequest) -> bytes:
    """The JSON body of ``POST /invoice`` for ``invoice``, canonical (keys in order).

    Equal invoices give equal bytes (the batch hashes them). Raises only
    ``RequestValidationError``.
    """
    try:
        return dumps(to_wire(invoice), sort_keys=True)
    except (ValueError, TypeError) as exc:  # nothing was sent: a known failure
        raise RequestValidationError("invoice", None, f"cannot be written as JSON: {exc}") from exc


class Invoices(Resource):
    """``client.invoices``: the invoice endpoints."""

    async def create(
        self,
        invoice: InvoiceRequest,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> InvoiceCreated:
        """Submit one invoice for evaluation and distribution (``POST /invoice``).

        Any 2xx answer returns an :class:`InvoiceCreated` (its fields may be ``None``: the answer
        is undocumented; ``raw_body`` holds it). Never re-sent automatically once it may have
        reached the server: on an unknown outcome the error has ``outcome_unknown=True`` (the batch
        submitter reconciles such cases). A duplicate invoice number raises ``ConflictError``.
        """
        require_model("invoice", invoice, InvoiceRequest)
        return await self._create_encoded(encode_invoice(invoice), extra_headers, extra_query)

    def _create_encoded(
        self, body: bytes, extra_headers: ExtraHeaders = None, extra_query: ExtraQuery = None
    ) -> Awaitable[InvoiceCreated]:
        """``create`` of a body :func:`encode_invoice` wrote (the batch writes each body once).

        Perf: the bulk hot path. A plain function handing back the transport's own coroutine (the
        answer is decoded there, by :meth:`_created`): every await layer between the batch and
        aiohttp is re-entered at each suspension of the request. The answer is a short
        acknowledgement, so the request runs without the per-read timer (``small_answer``).
        """
        return self._transport.request(
            "POST",
            _wire.PATH_INVOICE,
            params=with_query(None, extra_query) if extra_query is not None else None,
            encoded=body,
            idempotent=False,
            headers=check_headers(extra_headers) if extra_headers is not None else None,
            raw=True,
            decode=self._created,
            small_answer=True,
        )

    def _created(self, answer: RawAnswer) -> InvoiceCreated:
        """The 2xx answer to ``POST /invoice``: decoded fast, else exactly as ``_post_result``."""
        created = decode_created(answer.body, self._aliases) if answer.problem is None else None
        if created is not None:
            return created
        return self._post_result(answer, InvoiceCreated, _wire.PATH_INVOICE)

    async def create_actions(
        self,
        request: ActionsRequest,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> ActionsQueued:
        """Queue actions against invoices or cases (``POST /invoice/action``); they run later.

        Any 2xx answer returns an :class:`ActionsQueued` (``raw_body`` holds the answer).
        """
        require_model("request", request, ActionsRequest)
        queued, _ = await self._post(
            _wire.PATH_INVOICE_ACTION, request, ActionsQueued, extra_headers, extra_query
        )
        return queued

    async def case(
        self,
        *,
        case_id: int | None = None,
        invoice_number: int | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> CaseDetails:
        """Case details from the agency (``GET /invoice/case``) by case id or invoice number."""
        if (case_id is None) == (invoice_number is None):
            raise RequestValidationError(
                "caseId", case_id, "give exactly one of case_id or invoice_number"
            )
        params = (
            {_wire.Q_CASE_ID: str(positive_int(_wire.Q_CASE_ID, case_id))}
            if case_id is not None
            else {_wire.Q_INVOICE_NUMBER: str(positive_int(_wire.Q_INVOICE_NUMBER, invoice_number))}
        )
        data = await self._get(_wire.PATH_INVOICE_CASE, params, extra_headers, extra_query)
        return self._decode(data, CaseDetails)

    async def distribution_window(
        self,
        from_date: date,
        to_date: date,
        *,
        invoice_number: int | None = None,
        fetch_type: str | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> DistributionPage:
        """One inclusive window of distribution records by invoice date.

        ``GET /invoice/distribution``.

        Always sends both dates, so the API's silent 30-day default never applies. When
        ``page.meta_data.total_count`` exceeds the records returned, the server cut the window.
        """
        page: DistributionPage = await self._distribution_get(
            (from_date, to_date, invoice_number, fetch_type, extra_headers, extra_query),
            functools.partial(decode_distribution_bytes, aliases=self._aliases),
        )
        return page

    async def _distribution_get(self, query: _DistributionQuery, decode: Callable[[bytes], T]) -> T:
        from_date, to_date, invoice_number, fetch_type, extra_headers, extra_query = query
        params = window(_wire.Q_FROM_INV_DATE, _wire.Q_TO_INV_DATE, from_date, to_date)
        if invoice_number is not None:
            params[_wire.Q_INVOICE_NUMBER] = str(
                positive_int(_wire.Q_INVOICE_NUMBER, invoice_number)
            )
        if fetch_type is not None:
            params[_wire.Q_FETCH_TYPE] = fetch_type
        result: T = await self._get(
            _wire.PATH_INVOICE_DISTRIBUTION, params, extra_headers, extra_query, decode=decode
        )
        return result

    async def find_distribution(
        self,
        invoice_number: int,
        invoice_date: date,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> DistributionRecord | None:
        """Look one invoice up by number on its invoice date; ``None`` if the server has none.

        ``None`` only when the answer proves it: every record it lists carries an invoice number
        the client can read and none is this one, and nothing was cut. An answer that cannot
        tell (records matched that the client cannot read as invoices, e.g. under a record list
        key or an invoice number name it does not know) raises :class:`LookupInconclusiveError`.
        """
        day = check_date("invoiceDate", invoice_date)
        page = await self.distribution_window(
            day,
            day,
            invoice_number=invoice_number,
            extra_headers=extra_headers,
            extra_query=extra_query,
        )
        records = page.distributions
        for record in records:
            if record.invoice_number == invoice_number:
                return record
        unreadable = [r for r in records if r.invoice_number is None]
        if not unreadable and page.meta_data.total_count <= len(records):
            return None
        keys = sorted({k for r in unreadable for k in r.extra} | set(page.extra))
        raise LookupInconclusiveError(
            f"invoice {invoice_number} on {day}: the server counts {page.meta_data.total_count} "
            f"matching records, the client read {len(records)} of them, "
            f"{len(unreadable)} without an invoice number it can read (keys it does not know: "
            f"{', '.join(keys) or 'none'}); add a wire alias (see confirma doctor)",
            keys=keys,
        )

    def distributions(
        self,
        start: date,
        end: date,
        *,
        invoice_number: int | None = None,
        fetch_type: str | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        **pager: Unpack[PagerOptions],
    ) -> AsyncPager[DistributionRecord]:
        """Stream distribution records with invoice dates in ``[start, end]`` (inclusive).

        Walks ``GET /invoice/distribution`` window by window (see :mod:`confirma_async.pagination`):
        ``async for record in client.invoices.distributions(start, end): ...``. A window the
        server cut (``metaData.totalCount`` above the records returned, A11) is split in two;
        records are keyed by invoice number. ``resume_from`` takes a ``pager.checkpoint``.
        """
        return self._pager(
            self._distribution_fetch(invoice_number, fetch_type, extra_headers, extra_query),
            start,
            end,
            key=_invoice_number,
            source=_wire.PATH_INVOICE_DISTRIBUTION,
            options=pager,
        )

    def watch_distributions(
        self,
        *,
        since: date | None = None,
        interval: timedelta | float = timedelta(minutes=1),
        lookback: timedelta = timedelta(days=30),
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        checkpoint: Mapping[str, Any] | None = None,
        window: timedelta = ONE_DAY,
        prefetch: int = 2,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        coordination: WatchCoordination | None = None,
        stream: str = "distributions",
    ) -> DistributionWatcher:
        """Poll distribution records forever, yielding each new or changed record once.

        Every ``interval`` (a ``timedelta`` or seconds) it re-reads invoice dates from
        ``max(since, today - lookback)`` to tomorrow (UTC) and yields records that are new or
        whose statuses, case id or timestamps changed. Persist ``watcher.checkpoint`` and pass it
        as ``checkpoint=`` to resume without repeats. ``clock`` (a callable or an object with
        ``now()``, e.g. the sandbox's ``ManualClock``) and ``sleep`` (an async function taking
        seconds) can be injected so tests never sleep.

        ``coordination`` (e.g. ``PostgresCoordination``) makes replicas share the work: one
        replica at a time polls the ``stream`` (a name per feed, e.g. the creditor's client id)
        under a lease, resuming from the shared checkpoint; a record is committed to it once the
        caller asks for the next one (after handling it): at-least-once, de-duplicate on
        ``(invoice_number, fingerprint)``. Close the watcher (``async with``) to hand over at once.
        """
        return DistributionWatcher(
            self._distribution_fetch(None, None, extra_headers, extra_query),
            source=_wire.PATH_INVOICE_DISTRIBUTION,
            since=since,
            interval=interval,
            lookback=lookback,
            clock=clock,
            sleep=sleep,
            checkpoint=checkpoint,
            window=window,
            prefetch=prefetch,
            coordination=coordination,
            stream=StreamKey(self._transport.base_url, _wire.PATH_INVOICE_DISTRIBUTION, stream),
        )

    def _distribution_fetch(
        self,
        invoice_number: int | None,
        fetch_type: str | None,
        extra_headers: ExtraHeaders,
        extra_query: ExtraQuery,
    ) -> WindowFetch[DistributionRecord]:
        if invoice_number is not None:
            positive_int(_wire.Q_INVOICE_NUMBER, invoice_number)
        check_extras(extra_headers, extra_query)

        decode = functools.partial(decode_distribution_window, aliases=self._aliases)

        async def fetch(start: date, end: date) -> WindowResult[DistributionRecord]:
            # The records stay unbuilt where they can: the pager builds them as they are reached.
            query = (start, end, invoice_number, fetch_type, extra_headers, extra_query)
            meta, records, build = await self._distribution_get(query, decode)
            items = records if build is None else Unbuilt(records, build)
            return WindowResult(items=items, total_count=meta.total_count)

        return fetch


_invoice_number: Callable[[DistributionRecord], int | None] = operator.attrgetter("invoice_number")
"""The de-duplication key of a record (``None``, no invoice number read: never de-duplicated)."""
