"""Accounting-sync models (``/accounting/ledger``, ``/accounting/payment``, ``…/invoice``).

Requests follow the documented examples (the ledger POST sends **one** document under ``ledgers``);
answers to the POSTs (A14, A16) and everything of the invoice status list (A17) are our guesses,
optional when decoding. ``isVatRow`` is a 0/1 integer on the wire and a ``bool`` here. The ledger
and payment status answers are in the examples: of them only ``sourceIdentifier`` and ``status``
are required. Request strings hold no control characters and no bidirectional overrides; only
``documentDescription`` and ``transactionDescription`` are free text, where tab, CR and LF are
allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from .._core.wire import ACCOUNTING_INVOICES_KEY
from . import _validate as v
from ._fields import extra_field, free_text, guessed, raw_body_field, rules, wire
from ._open_enum import OpenIntEnum, OpenStrEnum

__all__ = [
    "AccountingInvoiceStatus",
    "AccountingInvoiceStatusList",
    "AccountingPayment",
    "AccountingPaymentStatus",
    "AccountingPaymentStatusList",
    "AccountingPaymentsAccepted",
    "AccountingPaymentsSubmission",
    "CalculationMode",
    "DimensionType",
    "LedgerDimension",
    "LedgerDocument",
    "LedgerRow",
    "LedgerStatus",
    "LedgerStatusList",
    "LedgerSubmission",
    "SubmissionStatus",
    "SyncStatus",
    "TargetIdentifier",
]


class CalculationMode(OpenStrEnum):
    """Whether ledger ``amount`` values are gross or net of VAT (open set)."""

    GROSS = "GROSS"
    NET = "NET"


class DimensionType(OpenStrEnum):
    """Kind of ledger dimension (open set; ``COST_CENTER`` is documented)."""

    COST_CENTER = "COST_CENTER"


class TargetIdentifier(OpenStrEnum):
    """Which key matches an accounting payment to its invoice (open set)."""

    INVOICE_NUMBER = "invoicenumber"


class SyncStatus(OpenIntEnum):
    """Accounting sync state: 0 pending and 1 synced are seen; 2 failed is assumption A18."""

    PENDING = 0
    SYNCED = 1
    FAILED = 2


@attrs.frozen(kw_only=True, slots=True)
class LedgerDimension:
    """A ledger row dimension such as a cost centre."""

    dimension_type: DimensionType
    dimension_value: str
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class LedgerRow:
    """One row of a ledger document; amounts are signed (debit +, credit -).

    ``transaction_description`` is free text (tab, CR and LF allowed).
    """

    booking_date: dt.date = attrs.field(metadata=rules(v.iso_date))
    account_number: str
    vat_account_number: str | None = None
    vat_type: str | None = None
    vat_percentage: Decimal = attrs.field(metadata=rules(v.amount))
    vat_code: str = ""
    amount: Decimal = attrs.field(metadata=rules(v.amount))
    net_amount: Decimal = attrs.field(metadata=rules(v.amount))
    is_vat_row: bool = attrs.field(default=False, metadata=wire(as_int=True))
    project_number: str | None = None
    transaction_type: str | None = None
    transaction_description: str | None = attrs.field(default=None, metadata=free_text())
    ledger_dimensions: list[LedgerDimension] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class LedgerDocument:
    """One ledger document (voucher).

    ``document_description`` is free text (tab, CR and LF allowed) of at most 210 characters.
    """

    ledger_identifier: str
    company_identifier: str
    document_type: str
    document_name: str
    document_date: dt.date = attrs.field(metadata=rules(v.iso_date))
    document_description: str = attrs.field(metadata={**rules(v.max_length(210)), **free_text()})
    calculation_mode: CalculationMode
    ledger_rows: list[LedgerRow] = attrs.field(metadata=rules(v.non_empty))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class LedgerSubmission:
    """Body of ``POST /accounting/ledger`` (one document, as documented); validated when built."""

    ledgers: LedgerDocument
    extra: Mapping[str, Any] = extra_field()

    def __attrs_post_init__(self) -> None:
        v.validate_request(self)


@attrs.frozen(kw_only=True, slots=True)
class SubmissionStatus:
    """Sync state of one submitted item; the answer to the ledger POST (A14) and its items (A16).

    Any 2xx answer is a success: every field may be ``None`` (the body is undocumented) and
    ``raw_body`` holds the ledger POST's answer exactly as received.
    """

    source_identifier: str | None = attrs.field(default=None, metadata=guessed("A14"))
    status: SyncStatus | None = attrs.field(default=None, metadata=guessed("A14"))
    description: str | None = attrs.field(default=None, metadata=guessed("A14"))
    extra: Mapping[str, Any] = extra_field()
    raw_body: bytes = raw_body_field()


@attrs.frozen(kw_only=True, slots=True)
class LedgerStatus:
    """Sync state of one ledger document (``GET /accounting/ledger``)."""

    source_identifier: str
    document_date: dt.date | None = None
    document_name: str | None = None
    document_status: str | None = None
    sync_date: dt.date | None = None
    status: SyncStatus
    description: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class LedgerStatusList:
    """Answer to ``GET /accounting/ledger``."""

    ledgers: list[LedgerStatus] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class AccountingPayment:
    """One payment record handed to the accounting system."""

    payment_identifier: str
    invoice_number: str
    payment_date: dt.date = attrs.field(metadata=rules(v.iso_date))
    booking_date: dt.date | None = attrs.field(
        default=None, metadata=rules(v.iso_date, nullable=True)
    )
    amount: Decimal = attrs.field(metadata=rules(v.amount))
    currency: str = attrs.field(metadata=rules(v.currency_code))
    target_identifier: TargetIdentifier = TargetIdentifier.INVOICE_NUMBER
    payment_reference: str
    source_name: str
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class AccountingPaymentsSubmission:
    """Body of ``POST /accounting/payment``: one or more payments; validated when built."""

    payments: list[AccountingPayment] = attrs.field(metadata=rules(v.non_empty))
    extra: Mapping[str, Any] = extra_field()

    def __attrs_post_init__(self) -> None:
        v.validate_request(self)


@attrs.frozen(kw_only=True, slots=True)
class AccountingPaymentsAccepted:
    """Answer to ``POST /accounting/payment``: the payments were queued (any 2xx answer).

    ``payments`` is the server's per-payment receipt list (A16; empty when the answer has none);
    ``raw_body`` holds the answer exactly as received.
    """

    payments: list[SubmissionStatus] = attrs.field(factory=list, metadata=guessed("A16"))
    extra: Mapping[str, Any] = extra_field()
    raw_body: bytes = raw_body_field()


@attrs.frozen(kw_only=True, slots=True)
class AccountingPaymentStatus:
    """Sync state of one accounting payment (``GET /accounting/payment``)."""

    source_identifier: str
    invoice_number: str | None = None
    payment_date: dt.date | None = None
    sync_date: dt.date | None = None
    status: SyncStatus
    description: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class AccountingPaymentStatusList:
    """Answer to ``GET /accounting/payment``."""

    payments: list[AccountingPaymentStatus] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class AccountingInvoiceStatus:
    """Sync state of one invoice in accounting (assumption A17; the endpoint is undocumented)."""

    source_identifier: str | None = attrs.field(default=None, metadata=guessed("A17"))
    invoice_number: str | None = attrs.field(default=None, metadata=guessed("A17"))
    invoice_date: dt.date | None = attrs.field(default=None, metadata=guessed("A17"))
    sync_date: dt.date | None = attrs.field(default=None, metadata=guessed("A17"))
    status: SyncStatus | None = attrs.field(default=None, metadata=guessed("A17"))
    description: str | None = attrs.field(default=None, metadata=guessed("A17"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class AccountingInvoiceStatusList:
    """Answer to ``GET /accounting/invoice`` (assumption A17)."""

    invoices: list[AccountingInvoiceStatus] = attrs.field(
        factory=list, metadata=guessed("A17", ACCOUNTING_INVOICES_KEY)
    )
    extra: Mapping[str, Any] = extra_field()
