"""Helpers of the fast decoders' tests: a usual distribution record, and how values compare."""

from __future__ import annotations

from typing import Any

from confirma_async._core.empty import EMPTY_EXTRA

RECORD: dict[str, Any] = {
    "invoiceNumber": 8000000000001,
    "invoiceDate": "2026-01-04",
    "caseId": None,
    "distributionMethod": "EMAIL",
    "distributionStatus": "DELIVERED",
    "paymentControlStatus": "NONE",
    "createdAt": "2026-01-04T06:00:00.000Z",
    "updatedAt": "2026-01-04T06:15:00.123Z",
    "deliveredAt": "2026-01-04T06:15:00.123Z",
}
"""A distribution record as the docs' examples write it: documented keys only, ``Z`` stamps."""


def value_type(value: object) -> type:
    """``type(value)``, except the shared read-only empty ``extra``: it stands for a ``{}``."""
    return dict if value is EMPTY_EXTRA else type(value)
