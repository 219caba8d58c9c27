"""Invoice actions (A9): validated and queued as ``PENDING``, applied ``action_delay`` later.

Applying an action: ``COMMENT`` and ``OBJECTION`` become case events (or invoice notes without a
case); ``EXTEND_DUE_DATE`` moves the due date of the invoice and its case; ``WITHDRAW_CASE`` closes
the case; ``DIRECT_PAYMENT`` lowers the case balance, adds a case payment and a ``/payments``
record. An action whose effect is impossible when it comes due (withdrawing a closed case, paying an
invoice without a case, moving a due date backwards) ends ``REJECTED`` with a reason; unknown codes
(an open set) are recorded as case events.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ._cases import Case, CaseEvent
from ._config import SandboxConfig
from ._events import Timeline
from ._http import not_found, validation_error
from ._invoice import StoredInvoice
from ._money import AgencyLedger
from ._schemas import ActionInput


class ActionWorld(Protocol):
    """What the action queue needs of the sandbox's state (``SandboxState`` provides it)."""

    config: SandboxConfig
    timeline: Timeline
    ledger: AgencyLedger

    def sync(self) -> datetime:
        """Apply every event due by now and return now."""
        ...

    def find_invoice(self, client_id: str, number: int) -> StoredInvoice | None:
        """The client's (latest) invoice with ``number``."""
        ...

    def case(self, case_id: int) -> Case | None:
        """The case with ``case_id``."""
        ...

    def schedule_reminder(self, case: Case) -> None:
        """Schedule the reminder of ``case`` at its due date."""
        ...

    def reference_of(self, invoice: StoredInvoice) -> str:
        """The payment reference of ``invoice``."""
        ...


@dataclass
class StoredAction:
    """One received action and what became of it."""

    action_id: str
    client_id: str
    spec: ActionInput
    received_at: datetime
    status: str = "PENDING"
    applied_at: datetime | None = None
    reason: str | None = None

    @property
    def code(self) -> str:
        """The action code (``COMMENT``, ``EXTEND_DUE_DATE``, ...)."""
        return self.spec.code

    def receipt(self) -> dict[str, Any]:
        """The A9 per-action answer."""
        return {
            "index": self.spec.index,
            "code": self.spec.code,
            "status": "PENDING",
            "actionId": self.action_id,
        }


class ActionQueue:
    """Receives, schedules and applies the actions of every client."""

    def __init__(self, state: ActionWorld) -> None:
        self._state = state
        self._ids = itertools.count(1)
        self.actions: list[StoredAction] = []

    def _targets(
        self, client_id: str, spec: ActionInput
    ) -> tuple[StoredInvoice | None, Case | None, str | None]:
        """Resolve an action's invoice and case; third item names a missing target."""
        state = self._state
        invoice = case = None
        if spec.invoice_number is not None:
            invoice = state.find_invoice(client_id, spec.invoice_number)
            if invoice is None:
                return None, None, f"invoice {spec.invoice_number}"
        if spec.case_id is not None:
            candidate = state.case(spec.case_id)
            if candidate is None or candidate.client_id != client_id:
                return None, None, f"case {spec.case_id}"
            case = candidate
            invoice = invoice or state.find_invoice(client_id, case.invoice_number)
        return invoice, case or (invoice.case if invoice else None), None

    def queue(self, client_id: str, specs: list[ActionInput]) -> list[StoredAction]:
        """Queue every action or none: 404 if a target is unknown, 400 if targets disagree."""
        now = self._state.sync()
        missing: list[str] = []
        errors: list[tuple[str, str]] = []
        for spec in specs:
            _, case, absent = self._targets(client_id, spec)
            both = spec.case_id is not None and spec.invoice_number is not None
            if absent:
                missing.append(absent)
            elif both and (case is None or case.invoice_number != spec.invoice_number):
                errors.append(
                    (
                        f"actions[{spec.index}].data.caseId",
                        f"case {spec.case_id} does not belong to invoice {spec.invoice_number}",
                    )
                )
        if missing:
            raise not_found(f"unknown {', '.join(missing)}; no action was queued")
        if errors:
            raise validation_error(errors)
        queued = []
        for spec in specs:
            action = StoredAction(f"act-{next(self._ids):08d}", client_id, spec, now)
            self.actions.append(action)
            queued.append(action)
            self._state.timeline.at(
                now + self._state.config.action_delay, functools.partial(self._apply, action)
            )
        return queued

    def _apply(self, action: StoredAction, when: datetime) -> None:
        invoice, case, _ = self._targets(action.client_id, action.spec)
        reason = self._effect(action.spec, invoice, case, when)
        action.applied_at = when
        action.status = "REJECTED" if reason else "APPLIED"
        action.reason = reason

    def _effect(
        self, spec: ActionInput, invoice: StoredInvoice | None, case: Case | None, when: datetime
    ) -> str | None:
        """Apply one action; return why it was rejected, or ``None``."""
        code = spec.code
        if code == "EXTEND_DUE_DATE":
            assert spec.new_due_date is not None
            assert invoice is not None
            if spec.new_due_date < invoice.due_date:
                return "the new due date is before the current one"
            invoice.due_date = spec.new_due_date
            if case:
                case.due_date = spec.new_due_date
                case.event(when, "DUE_DATE_EXTENDED", f"due date moved to {spec.new_due_date}")
                self._state.schedule_reminder(case)
            return None
        if code in ("WITHDRAW_CASE", "DIRECT_PAYMENT") and (case is None or not case.active):
            return "the invoice has no active agency case"
        if code == "WITHDRAW_CASE":
            assert case is not None
            case.close(when, "WITHDRAWN", spec.comment or "case withdrawn by the creditor")
            return None
        if code == "DIRECT_PAYMENT":
            assert case is not None
            assert invoice is not None
            assert spec.amount is not None
            assert spec.payment_date is not None
            reference = self._state.reference_of(invoice)
            self._state.ledger.pay(
                case,
                when,
                spec.payment_date,
                spec.amount,
                account_name="Direct payment to creditor",
                reference=reference,
                original_reference="",
            )
            return None
        text = spec.comment or code.replace("_", " ").lower()
        if case:
            case.event(when, code, text)
        elif invoice:
            invoice.notes.append(CaseEvent(when, code, text))
        return None
