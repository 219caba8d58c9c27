"""Agency cases: balance, payments, events, and the A10 case-details document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ._fmt import ZERO, midnight, money, stamp

AGENCY = "CASH-IN"


@dataclass
class CaseEvent:
    """One entry of a case's event history."""

    when: datetime
    type: str
    description: str


@dataclass
class CasePayment:
    """A payment registered on a case, with how it was split."""

    when: datetime
    payment_date: date
    amount: Decimal
    reference: str
    capital: Decimal
    interest: Decimal
    fees: Decimal


@dataclass
class Case:
    """An agency case created for an invoice under payment control."""

    case_id: int
    client_id: str
    invoice_number: int
    invoice_date: date
    due_date: date
    currency: str
    creditor: str
    created_at: datetime
    capital: Decimal
    interest: Decimal = ZERO
    costs: Decimal = ZERO
    status: str = "ACTIVE"
    stage: str = "PAYMENT_CONTROL"
    closed_at: datetime | None = None
    events: list[CaseEvent] = field(default_factory=list)
    payments: list[CasePayment] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """True until the case is closed (paid or withdrawn)."""
        return self.status == "ACTIVE"

    @property
    def balance(self) -> Decimal:
        """Everything still owed: capital, interest and costs."""
        return self.capital + self.interest + self.costs

    def event(self, when: datetime, type_: str, description: str) -> None:
        """Append an event."""
        self.events.append(CaseEvent(when, type_, description))

    def close(self, when: datetime, stage: str, description: str) -> None:
        """Close the case (``PAID`` or ``WITHDRAWN``)."""
        self.status, self.stage, self.closed_at = "CLOSED", stage, when
        self.event(when, f"CASE_{stage}", description)

    def pay(
        self, when: datetime, payment_date: date, amount: Decimal, reference: str
    ) -> CasePayment:
        """Apply a payment to costs, then interest, then capital (any excess counts as capital)."""
        left = amount
        fees = min(left, self.costs)
        left -= fees
        interest = min(left, self.interest)
        left -= interest
        capital = left
        self.costs -= fees
        self.interest -= interest
        self.capital = max(ZERO, self.capital - capital)
        paid = CasePayment(when, payment_date, amount, reference, capital, interest, fees)
        self.payments.append(paid)
        self.event(when, "PAYMENT", f"payment of {money(amount)} {self.currency} registered")
        if self.balance <= 0:
            self.close(when, "PAID", "balance paid in full")
        return paid

    def remind(self, when: datetime, fee: Decimal, interest_rate: Decimal) -> None:
        """The due date passed unpaid: reminder stage, a fee and interest."""
        self.stage = "REMINDER"
        self.costs += money(fee)
        self.interest += money(self.capital * interest_rate)
        self.event(when, "REMINDER_SENT", f"due date {self.due_date.isoformat()} passed unpaid")

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The A10 ``{"case": {...}}`` document."""
        end = self.closed_at or now
        return {
            "case": {
                "summary": {
                    "caseId": self.case_id,
                    "status": self.status,
                    "stage": self.stage,
                    "createdAt": stamp(self.created_at),
                    "closedAt": self.closed_at.date().isoformat() if self.closed_at else None,
                    "activeDays": max(0, (end.date() - self.created_at.date()).days),
                    "creditor": self.creditor,
                    "currency": self.currency,
                    "agency": AGENCY,
                },
                "balance": {
                    "capitalAmount": money(self.capital),
                    "interestAmount": money(self.interest),
                    "costsAmount": money(self.costs),
                    "totalAmount": money(self.balance),
                },
                "payments": [
                    {
                        "paymentDate": stamp(midnight(p.payment_date)),
                        "amount": money(p.amount),
                        "reference": p.reference,
                    }
                    for p in self.payments
                ],
                "events": [
                    {"eventDate": stamp(e.when), "type": e.type, "description": e.description}
                    for e in self.events
                ],
                "invoice": {
                    "invoiceNumber": self.invoice_number,
                    "invoiceDate": self.invoice_date.isoformat(),
                    "dueDate": self.due_date.isoformat(),
                },
            }
        }
