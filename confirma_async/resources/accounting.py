"""Accounting sync: submit ledger documents and payments, read sync status."""

from __future__ import annotations

from datetime import date
from typing import Any

from .. import _wire
from ..models._convert import from_wire, to_wire
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
from ..transport import Transport
from ._params import positive_int, require_model, window


class Accounting:
    """``client.accounting``: submit-then-poll endpoints of the accounting add-on."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def submit_ledger(self, submission: LedgerSubmission) -> SubmissionStatus:
        """Queue one ledger document for the accounting system (``POST /accounting/ledger``)."""
        require_model("submission", submission, LedgerSubmission)
        data = await self._transport.request(
            "POST", _wire.PATH_ACCOUNTING_LEDGER, json=to_wire(submission), idempotent=False
        )
        return from_wire(data, SubmissionStatus)

    async def ledger_status(
        self, from_date: date, to_date: date, *, source_identifier: str | None = None
    ) -> list[LedgerStatus]:
        """Sync status of ledger documents dated in the window (``GET /accounting/ledger``)."""
        data = await self._status(
            _wire.PATH_ACCOUNTING_LEDGER,
            from_date,
            to_date,
            _wire.Q_SOURCE_IDENTIFIER,
            source_identifier,
        )
        return [] if data is None else from_wire(data, LedgerStatusList).ledgers

    async def submit_payments(
        self, submission: AccountingPaymentsSubmission
    ) -> AccountingPaymentsAccepted:
        """Queue payment records for the accounting system (``POST /accounting/payment``)."""
        require_model("submission", submission, AccountingPaymentsSubmission)
        data = await self._transport.request(
            "POST", _wire.PATH_ACCOUNTING_PAYMENT, json=to_wire(submission), idempotent=False
        )
        return from_wire(data, AccountingPaymentsAccepted)

    async def payment_status(
        self, from_date: date, to_date: date, *, source_identifier: str | None = None
    ) -> list[AccountingPaymentStatus]:
        """Sync status of payments dated in the window (``GET /accounting/payment``)."""
        data = await self._status(
            _wire.PATH_ACCOUNTING_PAYMENT,
            from_date,
            to_date,
            _wire.Q_SOURCE_IDENTIFIER,
            source_identifier,
        )
        return [] if data is None else from_wire(data, AccountingPaymentStatusList).payments

    async def invoice_status(
        self, from_date: date, to_date: date, *, invoice_number: int | None = None
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
            _wire.PATH_ACCOUNTING_INVOICE, from_date, to_date, _wire.Q_INVOICE_NUMBER, number
        )
        return [] if data is None else from_wire(data, AccountingInvoiceStatusList).invoices

    async def _status(
        self, path: str, from_date: date, to_date: date, key: str, value: str | None
    ) -> Any:
        params = window(_wire.Q_FROM_DATE, _wire.Q_TO_DATE, from_date, to_date)
        if value is not None:
            params[key] = value
        return await self._transport.request("GET", path, params=params)
