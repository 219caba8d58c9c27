"""A stored invoice and its distribution record (A7, A11)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ._cases import Case, CaseEvent
from ._fmt import stamp
from ._schemas import InvoiceInput


@dataclass
class StoredInvoice:
    """An accepted invoice and its distribution record."""

    client_id: str
    number: int
    invoice_date: date
    due_date: date
    currency: str
    amount: Decimal
    received_at: datetime
    body: dict[str, Any]
    spec: InvoiceInput
    status: str = "QUEUED"
    updated_at: datetime | None = None
    delivered_at: datetime | None = None
    case: Case | None = None
    notes: list[CaseEvent] = field(default_factory=list)

    def distribution_json(self) -> dict[str, Any]:
        """The A11 distribution record."""
        case = self.case
        return {
            "invoiceNumber": self.number,
            "invoiceDate": self.invoice_date.isoformat(),
            "caseId": case.case_id if case else None,
            "distributionMethod": self.spec.method,
            "distributionStatus": self.status,
            "paymentControlStatus": "NONE" if case is None else case.status,
            "createdAt": stamp(self.received_at),
            "updatedAt": stamp(self.updated_at or self.received_at),
            "deliveredAt": stamp(self.delivered_at) if self.delivered_at else None,
        }
