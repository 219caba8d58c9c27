"""Agency money: the payments allocated to cases (A12) and the settlements that pay them out (A13).

Every payment is registered on a case, becomes a ``/payments`` record and waits for the next
settlement run of its client; the run (``settlement_delay`` after the first waiting payment) turns
the waiting payments into one settlement per currency with one allocation per payment. The split of
each allocation (``CAPITAL``/``INTEREST``/``FEES``) is the split the case applied, so breakdowns sum
to the allocation total and allocations sum to ``settlementAmount`` by construction.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ._cases import AGENCY, Case
from ._events import Timeline
from ._fmt import ZERO, day_stamp, money, stamp
from ._query import Window


@dataclass
class PaymentRecord:
    """One payment allocated to a case (a ``/payments`` record and later an allocation)."""

    client_id: str
    case_id: int
    invoice_number: int
    invoice_reference: str
    original_reference: str
    account_name: str
    payment_date: date
    booking_date: date
    amount: Decimal
    currency: str
    capital: Decimal
    interest: Decimal
    fees: Decimal
    allocation_id: int = 0

    def to_json(self) -> dict[str, Any]:
        """The A12 record."""
        return {
            "caseId": self.case_id,
            "invoiceNumber": str(self.invoice_number),
            "invoicePaymentReference": self.invoice_reference,
            "originalPaymentReference": self.original_reference,
            "accountName": self.account_name,
            "bookingDate": day_stamp(self.booking_date),
            "paymentDate": day_stamp(self.payment_date),
            "amount": money(self.amount),
            "currency": self.currency,
        }

    def allocation_json(self, allocation_date: date) -> dict[str, Any]:
        """Render the payment as a settlement allocation (A13)."""
        parts = (("CAPITAL", self.capital), ("INTEREST", self.interest), ("FEES", self.fees))
        return {
            "allocationId": self.allocation_id,
            "allocatedTotalAmount": money(self.amount),
            "allocationDate": allocation_date.isoformat(),
            "currency": self.currency,
            "caseId": self.case_id,
            "originalInvoiceNumber": str(self.invoice_number),
            "originalPaymentReference": self.original_reference,
            "breakdown": [{"type": kind, "amount": money(value)} for kind, value in parts],
        }


@dataclass
class Settlement:
    """A payout batch to one client in one currency."""

    settlement_id: int
    client_id: str
    settlement_date: date
    currency: str
    beneficiary: str
    allocations: list[PaymentRecord]
    fetched_at: datetime | None = None

    @property
    def amount(self) -> Decimal:
        """Sum of the allocations."""
        return sum((money(p.amount) for p in self.allocations), ZERO)

    def to_json(self) -> dict[str, Any]:
        """The A13 settlement object."""
        return {
            "settlementId": self.settlement_id,
            "settlementDate": self.settlement_date.isoformat(),
            "agency": AGENCY,
            "remittanceReference": str(8_090_800_000_000 + self.settlement_id % 10**9),
            "beneficiary": {"name": self.beneficiary, "iban": "", "bic": ""},
            "settlementAmount": money(self.amount),
            "currency": self.currency,
            "apiFetchDate": stamp(self.fetched_at) if self.fetched_at else None,
            "allocations": [p.allocation_json(self.settlement_date) for p in self.allocations],
        }


class AgencyLedger:
    """Payments and settlements of every client."""

    def __init__(self, timeline: Timeline, settlement_delay: timedelta) -> None:
        self._timeline = timeline
        self._delay = settlement_delay
        self.payments: list[PaymentRecord] = []
        self.settlements: list[Settlement] = []
        self._waiting: dict[str, list[PaymentRecord]] = defaultdict(list)
        self._allocation_ids = itertools.count(9_001_001)
        self._per_day: dict[date, int] = defaultdict(int)
        self._beneficiary: dict[str, str] = {}

    def pay(
        self,
        case: Case,
        when: datetime,
        payment_date: date,
        amount: Decimal,
        *,
        account_name: str,
        reference: str,
        original_reference: str,
    ) -> PaymentRecord:
        """Register a payment on ``case`` and queue it for the client's next settlement."""
        split = case.pay(when, payment_date, amount, reference)
        record = PaymentRecord(
            client_id=case.client_id,
            case_id=case.case_id,
            invoice_number=case.invoice_number,
            invoice_reference=reference,
            original_reference=original_reference,
            account_name=account_name,
            payment_date=payment_date,
            booking_date=when.date(),
            amount=amount,
            currency=case.currency,
            capital=split.capital,
            interest=split.interest,
            fees=split.fees,
            allocation_id=next(self._allocation_ids),
        )
        self.payments.append(record)
        waiting = self._waiting[case.client_id]
        if not waiting:
            self._beneficiary[case.client_id] = case.creditor
            self._timeline.at(when + self._delay, lambda at: self._settle(case.client_id, at))
        waiting.append(record)
        return record

    def _settle(self, client_id: str, when: datetime) -> None:
        waiting = self._waiting.pop(client_id, [])
        by_currency: dict[str, list[PaymentRecord]] = defaultdict(list)
        for record in waiting:
            by_currency[record.currency].append(record)
        day = when.date()
        for currency in sorted(by_currency):
            self._per_day[day] += 1
            settlement_id = int(day.strftime("%Y%m%d")) * 10_000 + self._per_day[day]
            self.settlements.append(
                Settlement(
                    settlement_id,
                    client_id,
                    day,
                    currency,
                    self._beneficiary[client_id],
                    by_currency[currency],
                )
            )

    def payments_in(self, client_id: str, window: Window) -> list[PaymentRecord]:
        """A12: the client's payments whose ``paymentDate`` lies in ``window``, in date order."""
        found = [
            p for p in self.payments if p.client_id == client_id and window.contains(p.payment_date)
        ]
        return sorted(found, key=lambda p: (p.payment_date, p.allocation_id))

    def settlements_in(
        self, client_id: str, window: Window, *, unfetched_only: bool
    ) -> list[Settlement]:
        """A13: the client's settlements dated in ``window`` (only never-fetched ones if asked)."""
        return [
            s
            for s in self.settlements
            if s.client_id == client_id
            and window.contains(s.settlement_date)
            and not (unfetched_only and s.fetched_at is not None)
        ]
