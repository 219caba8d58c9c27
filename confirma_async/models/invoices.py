"""Invoice submission models (``POST /invoice``).

Only ``processing``, ``distribution`` and ``invoice.header`` are documented; ``invoice.amounts`` and
``invoice.buyer`` follow assumption A8, and everything else (rows, terms, attachments) goes through
``extra`` until the schema is known. Only the documented rules are enforced (ISO codes, e-mail,
2-decimal amounts, positive invoice number); due-date ordering is not, as it is undocumented. No
string may hold a control character or a bidirectional override; ``invoice.header.description``
and ``additionalInformation`` are free text and may hold tab, CR and LF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from . import _validate as v
from ._fields import extra_field, free_text, guessed, raw_body_field, rules, wire
from ._open_enum import OpenStrEnum

__all__ = [
    "BuyerParty",
    "Distribution",
    "DistributionMethod",
    "Invoice",
    "InvoiceAmounts",
    "InvoiceCreated",
    "InvoiceHeader",
    "InvoiceRequest",
    "InvoiceType",
    "Processing",
]


class DistributionMethod(OpenStrEnum):
    """How an invoice is delivered to the buyer (open set; ``EMAIL`` is documented)."""

    EMAIL = "EMAIL"
    PAPER = "PAPER"
    EINVOICE = "EINVOICE"


class InvoiceType(OpenStrEnum):
    """The kind of invoice document (open set; ``INVOICE`` is documented)."""

    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


@attrs.frozen(kw_only=True, slots=True)
class Processing:
    """The ``processing`` switches of an invoice."""

    payment_control_enabled: bool
    manual_approval_enabled: bool = False
    accounting_invoice_enabled: bool = False
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Distribution:
    """The ``distribution`` settings of an invoice."""

    method: DistributionMethod
    enabled: bool = True
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class InvoiceHeader:
    """``invoice.header``: number, type, dates and currency of an invoice.

    ``description`` and ``additional_information`` are free text (tab, CR and LF allowed).
    """

    number: int = attrs.field(metadata=rules(v.positive_int))
    type: InvoiceType = InvoiceType.INVOICE
    date: dt.date = attrs.field(metadata=rules(v.iso_date))
    due_date: dt.date = attrs.field(metadata=rules(v.iso_date))
    description: str | None = attrs.field(default=None, metadata=free_text())
    additional_information: str | None = attrs.field(default=None, metadata=free_text())
    currency_code: str = attrs.field(metadata=rules(v.currency_code))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class InvoiceAmounts:
    """``invoice.amounts`` (assumption A8): the invoice total and its VAT share."""

    total_amount: Decimal = attrs.field(metadata=rules(v.amount))
    vat_amount: Decimal | None = attrs.field(default=None, metadata=rules(v.amount, nullable=True))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class BuyerParty:
    """``invoice.buyer`` (assumption A8): who the invoice is addressed to."""

    name: str
    email: str | None = attrs.field(default=None, metadata=rules(v.email, nullable=True))
    country_code: str | None = attrs.field(
        default=None, metadata=rules(v.country_code, nullable=True)
    )
    language_code: str | None = attrs.field(
        default=None, metadata=rules(v.language_code, nullable=True)
    )
    postal_address: str | None = None
    postal_code: str | None = None
    postal_district: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Invoice:
    """The ``invoice`` object: header plus the optional A8 sections (left out when ``None``)."""

    header: InvoiceHeader
    amounts: InvoiceAmounts | None = attrs.field(default=None, metadata=wire(omit_none=True))
    buyer: BuyerParty | None = attrs.field(default=None, metadata=wire(omit_none=True))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class InvoiceRequest:
    """Body of ``POST /invoice``; validated in full when constructed."""

    processing: Processing
    distribution: Distribution
    invoice: Invoice
    extra: Mapping[str, Any] = extra_field()

    def __attrs_post_init__(self) -> None:
        v.validate_request(self)

    @property
    def invoice_number(self) -> int:
        """The invoice number (``invoice.header.number``)."""
        return self.invoice.header.number


@attrs.frozen(kw_only=True, slots=True)
class InvoiceCreated:
    """Answer to ``POST /invoice``: the invoice was accepted (any 2xx answer).

    The answer's body is undocumented (assumption A7), so every field may be ``None``; ``status``
    is free text (e.g. ``RECEIVED``) and ``raw_body`` holds the answer exactly as received.
    """

    invoice_number: int | None = attrs.field(default=None, metadata=guessed("A7"))
    status: str | None = attrs.field(default=None, metadata=guessed("A7"))
    received_at: dt.datetime | None = attrs.field(default=None, metadata=guessed("A7"))
    extra: Mapping[str, Any] = extra_field()
    raw_body: bytes = raw_body_field()
