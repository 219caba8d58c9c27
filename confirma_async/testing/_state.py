"""The sandbox's in-memory service: clients, invoices, distribution, cases, money, accounting.

State never changes by itself: everything time-driven is an event on a :class:`Timeline`, applied at
its own due time when a request (or an inspection call) reads the clock. A test with a
:class:`ManualClock` therefore sees exactly the same history whether it looks often or rarely.
"""

from __future__ import annotations

import bisect
import itertools
import weakref
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .._core import wire as _wire
from ._accounting import AccountingSync, SyncItem
from ._actions import ActionQueue
from ._cases import Case
from ._clock import Clock
from ._config import SandboxConfig
from ._events import Timeline
from ._fmt import midnight
from ._generator import Generator, rf_reference, unit
from ._http import ApiError, not_found
from ._inspect import Inspection, ReceivedRequest
from ._invoice import StoredInvoice
from ._money import AgencyLedger
from ._schemas import InvoiceInput
from ._tokens import TokenStore

_API_KEY = _wire.API_KEY_HEADER.lower()


class SandboxState(Inspection):
    """Everything one sandbox stores; the inspection API comes from :class:`Inspection`."""

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        now = clock.now()
        self.started_at = now
        self.timeline = Timeline()
        self.tokens = TokenStore(config.seed, now, config.token_lifetime)
        if config.expire_tokens_after is not None:
            self.tokens.expire_all_at(now + config.expire_tokens_after)
        self.generator = Generator(
            seed=config.seed,
            records=config.generated_records,
            payments=config.generated_payments,
            days=config.generated_days,
            end=config.generated_end or now.date() - timedelta(days=1),
            failure_rate=config.distribution_failure_rate,
        )
        self.ledger = AgencyLedger(self.timeline, config.settlement_delay)
        self.accounting = AccountingSync(
            self.timeline, config.seed, config.sync_delay, config.sync_failure_rate
        )
        self.action_queue = ActionQueue(self)
        self._invoices: dict[tuple[str, int], list[StoredInvoice]] = defaultdict(list)
        self._by_day: dict[tuple[str, date], list[StoredInvoice]] = defaultdict(list)
        self._accepted: list[StoredInvoice] = []
        self._cases: dict[int, Case] = {}
        self._case_ids = itertools.count(100_001)
        self._submissions: Counter[tuple[str, int]] = Counter()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[tuple[str, int]] = Counter()
        self.client_requests: Counter[tuple[str | None, str]] = Counter()
        """Requests per (client id of the token sent, or ``None``; ``"METHOD /path"``)."""
        self.received: list[ReceivedRequest] | None = None
        self.record_bodies = False
        """Whether the request log keeps each request's body (``record_requests(bodies=True)``)."""
        self.connections = 0
        """How many TCP connections have sent API requests (each counted once)."""
        self._seen_connections: weakref.WeakSet[object] = weakref.WeakSet()

    @property
    def default_client_id(self) -> str:
        """The seeded client that owns the generated records."""
        return self.tokens.default_client.client_id

    def record(
        self,
        endpoint: str,
        client_id: str | None,
        headers: Mapping[str, str],
        body: bytes | None = None,
    ) -> ReceivedRequest | None:
        """Log one API request (while recording: ``Sandbox.record_requests()``); no API key."""
        if self.received is None:
            return None
        kept = {k: v for k, v in headers.items() if k.lower() != _API_KEY}
        entry = ReceivedRequest(endpoint, client_id, kept, body)
        self.received.append(entry)
        return entry

    def count_connection(self, transport: object | None) -> None:
        """Count the connection a request came on, the first time it is seen."""
        if transport is not None and transport not in self._seen_connections:
            self._seen_connections.add(transport)
            self.connections += 1

    def sync(self) -> datetime:
        """Apply every event due by now and return now."""
        now = self.clock.now()
        self.timeline.run_until(now)
        return now

    # --- invoices -------------------------------------------------------------------------

    def create_invoice(
        self, client_id: str, spec: InvoiceInput, body: dict[str, Any]
    ) -> StoredInvoice:
        """Accept an invoice (A7): 409 on a number this client used before."""
        now = self.sync()
        key = (client_id, spec.number)
        self._submissions[key] += 1
        known = bool(self._invoices.get(key)) or (
            client_id == self.default_client_id
            and self.generator.locate_invoice(spec.number) is not None
        )
        if known and self.config.reject_duplicates:
            raise ApiError(
                409,
                _wire.CODE_DUPLICATE_INVOICE,
                f"invoice number {spec.number} already exists",
                [("invoice.header.number", "duplicate invoice number")],
            )
        amount = spec.total_amount
        if amount is None:
            amount = Decimal(100 + int(unit(self.config.seed, f"amount|{spec.number}") * 199_900))
            amount = amount / 100
        invoice = StoredInvoice(
            client_id,
            spec.number,
            spec.invoice_date,
            spec.due_date,
            spec.currency,
            amount,
            now,
            body,
            spec,
            status="QUEUED" if spec.distribution_enabled else "DISABLED",
        )
        self._invoices[key].append(invoice)
        self._accepted.append(invoice)
        bisect.insort(self._by_day[(client_id, spec.invoice_date)], invoice, key=_number)
        if spec.payment_control:
            invoice.case = self._open_case(invoice, now)
        if spec.distribution_enabled:
            self.timeline.at(
                now + self.config.distribution_delay, lambda t: self._deliver(invoice, t)
            )
        if spec.accounting:
            self.accounting.submit(
                SyncItem(
                    "invoice",
                    client_id,
                    str(spec.number),
                    spec.invoice_date,
                    "",
                    str(spec.number),
                    now,
                )
            )
        return invoice

    def _open_case(self, invoice: StoredInvoice, now: datetime) -> Case:
        case = Case(
            case_id=next(self._case_ids),
            client_id=invoice.client_id,
            invoice_number=invoice.number,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            creditor=self.tokens.clients[invoice.client_id].name,
            created_at=now,
            capital=invoice.amount,
        )
        case.event(now, "CASE_CREATED", f"payment control started for invoice {invoice.number}")
        self._cases[case.case_id] = case
        self.schedule_reminder(case)
        return case

    def schedule_reminder(self, case: Case) -> None:
        """The day after the (current) due date, an unpaid case gets a reminder."""
        due = case.due_date

        def remind(at: datetime) -> None:
            if case.active and case.due_date == due and case.stage == "PAYMENT_CONTROL":
                case.remind(at, self.config.reminder_fee, self.config.reminder_interest_rate)

        # Never before the case exists: an invoice submitted after its due date (a January
        # invoice on today's clock) is reminded when its case opens, not back in January.
        self.timeline.at(max(midnight(due + timedelta(days=1)), case.created_at), remind)

    def _deliver(self, invoice: StoredInvoice, when: datetime) -> None:
        spec = invoice.spec
        no_address = spec.method == "EMAIL" and not spec.buyer_email
        draw = unit(self.config.seed, f"dist|{invoice.client_id}|{invoice.number}")
        failed = no_address or draw < self.config.distribution_failure_rate
        invoice.status = "FAILED" if failed else "DELIVERED"
        invoice.updated_at = when
        case = invoice.case
        if failed:
            if case:
                case.event(when, "DISTRIBUTION_FAILED", "the invoice could not be delivered")
            return
        invoice.delivered_at = when
        if case is None:
            return
        case.event(when, "INVOICE_DELIVERED", f"delivered by {spec.method}")
        payer_draw = unit(self.config.seed, f"debtor|{invoice.client_id}|{invoice.number}")
        if payer_draw < self.config.debtor_payment_rate:
            self.timeline.at(
                when + self.config.debtor_payment_delay, lambda t: self._debtor_pays(invoice, t)
            )

    def _debtor_pays(self, invoice: StoredInvoice, when: datetime) -> None:
        case = invoice.case
        if case is None or not case.active:
            return
        reference = self.reference_of(invoice)
        self.ledger.pay(
            case,
            when,
            when.date(),
            case.balance,
            account_name=invoice.spec.buyer_name or "Debtor",
            reference=reference,
            original_reference=reference,
        )

    def reference_of(self, invoice: StoredInvoice) -> str:
        """The invoice's RF payment reference (client prefix + invoice number)."""
        prefix = self.tokens.clients[invoice.client_id].payment_reference_prefix
        return rf_reference(f"{prefix}{invoice.number}")

    def invoices_of(self, client_id: str, number: int) -> list[StoredInvoice]:
        """Every accepted copy of the client's invoice ``number`` (one unless duplicates are on)."""
        return self._invoices.get((client_id, number), [])

    def find_invoice(self, client_id: str, number: int) -> StoredInvoice | None:
        """The client's (latest) invoice with ``number``."""
        found = self._invoices.get((client_id, number))
        return found[-1] if found else None

    def find_case(self, client_id: str, case_id: int | None, number: int | None) -> Case:
        """A10 lookup by case id or invoice number; 404 when unknown or another client's."""
        case: Case | None = None
        if case_id is not None:
            case = self._cases.get(case_id)
        elif number is not None:
            invoice = self.find_invoice(client_id, number)
            case = invoice.case if invoice else None
        if case is None or case.client_id != client_id:
            raise not_found("case not found")
        return case

    def invoices_on(self, client_id: str, day: date) -> list[StoredInvoice]:
        """The client's invoices dated ``day``, by invoice number."""
        return self._by_day.get((client_id, day), [])


def _number(invoice: StoredInvoice) -> int:
    return invoice.number
