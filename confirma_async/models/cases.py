"""Agency case models (``GET /invoice/case``).

``summary`` and ``balance`` are documented (EXAMPLE; the example's values are placeholders);
``balance.costsAmount`` is cut off on the page (INFERRED), ``balance.totalAmount``, ``payments`` and
``events`` are assumption A10, and the status values are A29: those are optional when decoding.
Of the documented fields only ``caseId``, ``status`` and ``createdAt`` of the summary and the two
visible balance amounts are required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ._fields import extra_field, guessed
from ._open_enum import OpenStrEnum

__all__ = [
    "Case",
    "CaseBalance",
    "CaseDetails",
    "CaseEvent",
    "CasePayment",
    "CaseStatus",
    "CaseSummary",
]


class CaseStatus(OpenStrEnum):
    """State of an agency case (open set; the docs list no values)."""

    OPEN = "OPEN"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    WITHDRAWN = "WITHDRAWN"


@attrs.frozen(kw_only=True, slots=True)
class CaseSummary:
    """``case.summary``: identity, state and parties of an agency case."""

    case_id: int
    status: CaseStatus
    stage: str | None = None
    created_at: dt.datetime
    closed_at: dt.date | None = None
    active_days: int | None = None
    creditor: str | None = None
    currency: str | None = None
    agency: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class CaseBalance:
    """``case.balance``: what is still owed, split into capital, interest and costs."""

    capital_amount: Decimal
    interest_amount: Decimal
    costs_amount: Decimal | None = attrs.field(default=None, metadata=guessed("A10"))
    total_amount: Decimal | None = attrs.field(default=None, metadata=guessed("A10"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class CasePayment:
    """One entry of the case's payment history (assumption A10)."""

    payment_date: dt.date | None = attrs.field(default=None, metadata=guessed("A10"))
    amount: Decimal | None = attrs.field(default=None, metadata=guessed("A10"))
    reference: str | None = attrs.field(default=None, metadata=guessed("A10"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class CaseEvent:
    """One event of the case timeline (assumption A10); ``type`` is free text."""

    event_date: dt.datetime | None = attrs.field(default=None, metadata=guessed("A10"))
    type: str | None = attrs.field(default=None, metadata=guessed("A10"))
    description: str | None = attrs.field(default=None, metadata=guessed("A10"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class Case:
    """The ``case`` object: summary, balance, payment history and events."""

    summary: CaseSummary
    balance: CaseBalance
    payments: list[CasePayment] = attrs.field(factory=list, metadata=guessed("A10"))
    events: list[CaseEvent] = attrs.field(factory=list, metadata=guessed("A10"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class CaseDetails:
    """Answer to ``GET /invoice/case``."""

    case: Case
    extra: Mapping[str, Any] = extra_field()
