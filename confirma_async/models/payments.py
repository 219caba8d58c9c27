"""Payment and settlement models (``GET /payments``, ``GET /settlements``).

Every field here is in the documented examples (EXAMPLE) except a payment's ``amount`` and
``currency`` (A12) and the type of ``apiFetchDate`` (always ``null`` in the example, A13), which are
optional and lenient. Ids and dates the examples always show are required, everything shown as
``null`` or missing in one crawl is optional. Allocation splits are read from ``breakdown`` or from
the older crawl's ``events`` (always written as ``breakdown``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ._fields import extra_field, guessed, wire
from ._open_enum import OpenStrEnum

__all__ = [
    "Allocation",
    "Beneficiary",
    "BreakdownItem",
    "BreakdownType",
    "Payment",
    "Settlement",
    "SettlementsPage",
]


@attrs.frozen(kw_only=True, slots=True)
class Payment:
    """One incoming payment allocated to a case (``GET /payments`` returns a list of these).

    Provisional: settlements are the final figures. ``amount`` and ``currency`` are assumption A12.
    """

    case_id: int | None = None
    invoice_number: str
    invoice_payment_reference: str | None = None
    original_payment_reference: str | None = None
    account_name: str | None = None
    booking_date: dt.datetime | None = None
    payment_date: dt.datetime
    amount: Decimal | None = attrs.field(default=None, metadata=guessed("A12"))
    currency: str | None = attrs.field(default=None, metadata=guessed("A12"))
    extra: Mapping[str, Any] = extra_field()


class BreakdownType(OpenStrEnum):
    """Part of an allocation (open set)."""

    CAPITAL = "CAPITAL"
    INTEREST = "INTEREST"
    FEES = "FEES"


@attrs.frozen(kw_only=True, slots=True)
class BreakdownItem:
    """One part of an allocation (capital, interest, fees)."""

    type: BreakdownType
    amount: Decimal
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Allocation:
    """An amount of a settlement allocated to one invoice, split by ``breakdown``."""

    allocation_id: int
    allocated_total_amount: Decimal
    allocation_date: dt.date
    currency: str
    case_id: int | None = None
    original_invoice_number: str
    original_payment_reference: str | None = None
    breakdown: list[BreakdownItem] = attrs.field(factory=list, metadata=wire(aliases=("events",)))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Beneficiary:
    """Who a settlement was paid to; ``iban`` and ``bic`` may be empty strings."""

    name: str
    iban: str = ""
    bic: str = ""
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Settlement:
    """One settlement run paid out to the creditor; ``settlement_id`` exceeds 32 bits.

    ``api_fetch_date`` is set once the settlement was returned by the API (assumption A13).
    """

    settlement_id: int
    settlement_date: dt.date
    agency: str
    remittance_reference: str | None = None
    beneficiary: Beneficiary | None = None
    settlement_amount: Decimal
    currency: str
    api_fetch_date: dt.datetime | None = attrs.field(default=None, metadata=guessed("A13"))
    allocations: list[Allocation] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class SettlementsPage:
    """Answer to ``GET /settlements`` (``created_at`` is ``None`` for an empty 204 answer)."""

    created_at: dt.datetime | None = None
    settlements: list[Settlement] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()
