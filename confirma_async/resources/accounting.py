"""Accounting sync: submit ledger documents and payments, read sync status.

Every method takes ``extra_headers`` and ``extra_query`` (sent in addition to its own).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Protocol, TypeVar, Unpack

from .._core import wire as _wire
from .._core.checks import (
    ExtraHeaders,
    ExtraQuery,
    check_extras,
    positive_int,
    require_model,
    window,
)
from ..models.accounting import (
    AccountingInvoiceStatus,
    AccountingInvoiceStatusList,
    AccountingPaymentsAccepted,
    AccountingPaymentsSubmission,
    AccountingPaymentStatus,
    AccountingPaymentStatusList,
    LedgerStatus,
    LedgerStatusList,
    LedgerSubmission,
    SubmissionStatus,
)
from ..pagination.pager import AsyncPager, PagerOptions
from ..pagination.pages import WindowResult
from ._base import Resource

S = TypeVar("S", bound="_HasSourceIdentifier")


class _HasSourceIdentifier(Protocol):
    @property
    def source_identifier(self) -> str | None: ...


class Accounting(Resource):
    """``client.accounting``: submit-then-poll endpoints of the accounting add-on."""

    async def submit_ledger(
        self,
        submission: LedgerSubmission,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> SubmissionStatus:
        """Queue one ledger document for the accounting system (``POST /accounting/ledger``).

        Any 2xx answer is a success; the answer is undocumented (A14), so the result's fields may
        be ``None`` and ``raw_body`` holds it.
        """
        require_model("submission", submission, LedgerSubmission)
        status, _ = await self._post(
            _wire.PATH_ACCOUNTING_LEDGER, submission, SubmissionStatus, extra_headers, extra_query
        )
        return status

    async def ledger_status(
        self,
        from_date: date,
        to_date: date,
        *,
        source_identifier: str | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> list[LedgerStatus]:
        """Sync status of ledger documents dated in the window (``GET /accounting/ledger``)."""
        data = await self._status(
            _wire.PATH_ACCOUNTING_LEDGER,
            from_date,
            to_date,
            (_wire.Q_SOURCE_IDENTIFIER, source_identifier),
            extra_headers,
            extra_query,
        )
        return [] if data is None else self._decode(data, LedgerStatusList).ledgers

    async def submit_payments(
        self,
        submission: AccountingPaymentsSubmission,
        *,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> AccountingPaymentsAccepted:
        """Queue payment records for the accounting system (``POST /accounting/payment``).

        Any 2xx answer is a success (A16; ``raw_body`` holds the answer).
        """
        require_model("submission", submission, AccountingPaymentsSubmission)
        accepted, _ = await self._post(
            _wire.PATH_ACCOUNTING_PAYMENT,
            submission,
            AccountingPaymentsAccepted,
            extra_headers,
            extra_query,
        )
        return accepted

    async def payment_status(
        self,
        from_date: date,
        to_date: date,
        *,
        source_identifier: str | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> list[AccountingPaymentStatus]:
        """Sync status of payments dated in the window (``GET /accounting/payment``)."""
        data = await self._status(
            _wire.PATH_ACCOUNTING_PAYMENT,
            from_date,
            to_date,
            (_wire.Q_SOURCE_IDENTIFIER, source_identifier),
            extra_headers,
            extra_query,
        )
        return [] if data is None else self._decode(data, AccountingPaymentStatusList).payments

    async def invoice_status(
        self,
        from_date: date,
        to_date: date,
        *,
        invoice_number: int | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
    ) -> list[AccountingInvoiceStatus]:
        """Sync status of invoices in the window (``GET /accounting/invoice``).

        **Assumption A17**: this endpoint's page is missing from the public docs; path, query and
        body are our best inference and may change once confirmed.
        """
        number = (
            None
            if invoice_number is None
            else str(positive_int(_wire.Q_INVOICE_NUMBER, invoice_number))
        )
        data = await self._status(
            _wire.PATH_ACCOUNTING_INVOICE,
            from_date,
            to_date,
            (_wire.Q_INVOICE_NUMBER, number),
            extra_headers,
            extra_query,
        )
        return [] if data is None else self._decode(data, AccountingInvoiceStatusList).invoices

    async def _status(
        self,
        path: str,
        from_date: date,
        to_date: date,
        pick: tuple[str, str | None],
        extra_headers: ExtraHeaders,
        extra_query: ExtraQuery,
    ) -> Any:
        params = window(_wire.Q_FROM_DATE, _wire.Q_TO_DATE, from_date, to_date)
        key, value = pick
        if value is not None:
            params[key] = value
        return await self._get(path, params, extra_headers, extra_query)

    def ledger_statuses(
        self,
        start: date,
        end: date,
        *,
        source_identifier: str | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        **pager: Unpack[PagerOptions],
    ) -> AsyncPager[LedgerStatus]:
        """Stream ledger sync statuses with document dates in ``[start, end]``, window by window.

        Keyed by ``source_identifier``. See :meth:`confirma_async.resources.payments.Payments.list`
        for ``max_records_per_response`` (these answers carry no count either).
        """
        check_extras(extra_headers, extra_query)

        async def fetch(from_date: date, to_date: date) -> list[LedgerStatus]:
            return await self.ledger_status(
                from_date,
                to_date,
                source_identifier=source_identifier,
                extra_headers=extra_headers,
                extra_query=extra_query,
            )

        return _status_pager(
            fetch,
            _wire.PATH_ACCOUNTING_LEDGER,
            start,
            end,
            options=pager,
        )

    def payment_statuses(
        self,
        start: date,
        end: date,
        *,
        source_identifier: str | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        **pager: Unpack[PagerOptions],
    ) -> AsyncPager[AccountingPaymentStatus]:
        """Stream accounting payment sync statuses with payment dates in ``[start, end]``.

        Keyed by ``source_identifier``; one window at a time, as :meth:`ledger_statuses`.
        """
        check_extras(extra_headers, extra_query)

        async def fetch(from_date: date, to_date: date) -> list[AccountingPaymentStatus]:
            return await self.payment_status(
                from_date,
                to_date,
                source_identifier=source_identifier,
                extra_headers=extra_headers,
                extra_query=extra_query,
            )

        return _status_pager(
            fetch,
            _wire.PATH_ACCOUNTING_PAYMENT,
            start,
            end,
            options=pager,
        )

    def invoice_statuses(
        self,
        start: date,
        end: date,
        *,
        invoice_number: int | None = None,
        extra_headers: ExtraHeaders = None,
        extra_query: ExtraQuery = None,
        **pager: Unpack[PagerOptions],
    ) -> AsyncPager[AccountingInvoiceStatus]:
        """Stream accounting invoice sync statuses in ``[start, end]`` (A17: undocumented endpoint).

        Keyed by ``source_identifier``; one window at a time, as :meth:`ledger_statuses`.
        """
        if invoice_number is not None:
            positive_int(_wire.Q_INVOICE_NUMBER, invoice_number)

        check_extras(extra_headers, extra_query)

        async def fetch(from_date: date, to_date: date) -> list[AccountingInvoiceStatus]:
            return await self.invoice_status(
                from_date,
                to_date,
                invoice_number=invoice_number,
                extra_headers=extra_headers,
                extra_query=extra_query,
            )

        return _status_pager(
            fetch,
            _wire.PATH_ACCOUNTING_INVOICE,
            start,
            end,
            options=pager,
        )


def _status_pager(
    fetch_list: Callable[[date, date], Awaitable[list[S]]],
    source: str,
    start: date,
    end: date,
    *,
    options: PagerOptions,
) -> AsyncPager[S]:
    async def fetch(from_date: date, to_date: date) -> WindowResult[S]:
        return WindowResult(items=await fetch_list(from_date, to_date))

    return Resource._pager(
        fetch, start, end, key=_source_identifier, source=source, options=options
    )


def _source_identifier(status: _HasSourceIdentifier) -> str | None:
    return status.source_identifier  # None (A17: not read): never de-duplicated
