"""Distribution listing models (``GET /invoice/distribution``, assumption A11).

``metaData`` is documented (EXAMPLE); the record list and every field of a record are our
assumption (A11: the list's wire key is ``_core.wire.DISTRIBUTION_RECORDS_KEY``), so all of them
are optional when decoding. Statuses are open sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from .._core.wire import DISTRIBUTION_RECORDS_KEY
from ._fields import extra_field, guessed, wire
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
    """One invoice's distribution record; ``case_id`` is set once an agency case exists.

    Every field is our guess (A11): one the answer does not carry under a name the client knows is
    ``None`` (add a wire alias, see :class:`~confirma_async.WireAliases`), and what the answer
    carries under other names is in ``extra``.
    """

    invoice_number: int | None = attrs.field(default=None, metadata=guessed("A11"))
    invoice_date: dt.date | None = attrs.field(default=None, metadata=guessed("A11"))
    case_id: int | None = attrs.field(default=None, metadata=guessed("A11"))
    distribution_method: DistributionMethod | None = attrs.field(
        default=None, metadata=guessed("A11")
    )
    distribution_status: DistributionStatus | None = attrs.field(
        default=None, metadata=guessed("A11")
    )
    payment_control_status: PaymentControlStatus | None = attrs.field(
        default=None, metadata=guessed("A11")
    )
    created_at: dt.datetime | None = attrs.field(default=None, metadata=guessed("A11"))
    updated_at: dt.datetime | None = attrs.field(default=None, metadata=guessed("A11"))
    delivered_at: dt.datetime | None = attrs.field(default=None, metadata=guessed("A11"))
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True, slots=True)
class DistributionFilters:
    """``metaData.filtersApplied``: the filters the server applied, echoed back.

    The example shows ``invoiceNumber`` and ``fetchType`` only as ``null`` (their types are our
    guess) and ``defaultLast30Days`` is cut off on the page (INFERRED).
    """

    invoice_number: int | None = attrs.field(default=None, metadata=guessed("A11"))
    from_inv_date: str | None = None
    to_inv_date: str | None = None
    fetch_type: str | None = attrs.field(default=None, metadata=guessed("A11"))
    default_last30_days: bool | None = attrs.field(
        default=None, metadata=guessed("A11", "defaultLast30Days")
    )
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
        factory=list, metadata=guessed("A11", DISTRIBUTION_RECORDS_KEY)
    )
    extra: Mapping[str, Any] = extra_field()
