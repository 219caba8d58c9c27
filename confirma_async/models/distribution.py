"""Distribution listing models (``GET /invoice/distribution``, assumption A11).

``metaData`` is documented; the record list and its fields are our assumption (its wire key lives in
``_wire.DISTRIBUTION_RECORDS_KEY``). Statuses are open sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from .._wire import DISTRIBUTION_RECORDS_KEY
from ._fields import extra_field, wire
from ._open_enum import OpenStrEnum
from .invoices import DistributionMethod

__all__ = [
    "DistributionFilters",
    "DistributionMeta",
    "DistributionPage",
    "DistributionRecord",
    "DistributionStatus",
    "PaymentControlStatus",
]


class DistributionStatus(OpenStrEnum):
    """Delivery state of an invoice (open set)."""

    QUEUED = "QUEUED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class PaymentControlStatus(OpenStrEnum):
    """Agency payment-control state of an invoice (open set)."""

    NONE = "NONE"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


@attrs.frozen(kw_only=True, slots=True)
class DistributionRecord:
    """One invoice's distribution record; ``case_id`` is set once an agency case exists."""

    invoice_number: int
    invoice_date: dt.date
    case_id: int | None = None
    distribution_method: DistributionMethod
    distribution_status: DistributionStatus
    payment_control_status: PaymentControlStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    delivered_at: dt.datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class DistributionFilters:
    """``metaData.filtersApplied``: the filters the server applied, echoed back."""

    invoice_number: int | None = None
    from_inv_date: str | None = None
    to_inv_date: str | None = None
    fetch_type: str | None = None
    default_last30_days: bool = attrs.field(default=False, metadata=wire("defaultLast30Days"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class DistributionMeta:
    """``metaData``: counts of the matching records and the filters applied.

    ``total_count`` larger than the records returned means the window was cut (A11).
    """

    total_count: int
    successful_count: int = 0
    failed_count: int = 0
    filters_applied: DistributionFilters = attrs.field(factory=DistributionFilters)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class DistributionPage:
    """Answer to ``GET /invoice/distribution``: metadata plus one window's records."""

    meta_data: DistributionMeta = attrs.field(metadata=wire("metaData"))
    distributions: list[DistributionRecord] = attrs.field(
        factory=list, metadata=wire(DISTRIBUTION_RECORDS_KEY)
    )
    extra: Mapping[str, Any] = extra_field()
