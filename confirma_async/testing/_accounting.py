"""Accounting sync (A14-A18): submissions queued at status 0, synced (1) or failed (2) later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from .._core import wire as _wire
from ._events import Timeline
from ._generator import unit
from ._http import ApiError
from ._query import Window

Kind = Literal["ledger", "payment", "invoice"]
PENDING, SYNCED, FAILED = 0, 1, 2
_DESCRIPTIONS = {PENDING: "Pending", SYNCED: "Successfully synced", FAILED: "Sync failed"}
_DOCUMENT_STATUS = {PENDING: "Pending", SYNCED: "Approved", FAILED: "Rejected"}


@dataclass
class SyncItem:
    """One record handed to the accounting add-on."""

    kind: Kind
    client_id: str
    source_identifier: str
    day: date
    """``documentDate`` (ledger), ``paymentDate`` (payment) or ``invoiceDate`` (invoice)."""
    name: str
    invoice_number: str
    submitted_at: datetime
    status: int = PENDING
    sync_date: date | None = None

    def to_json(self) -> dict[str, Any]:
        """The status record of A15, A16 or A17."""
        common = {
            "sourceIdentifier": self.source_identifier,
            "syncDate": self.sync_date.isoformat() if self.sync_date else None,
            "status": self.status,
            "description": _DESCRIPTIONS[self.status],
        }
        day = self.day.isoformat()
        if self.kind == "ledger":
            return {
                "sourceIdentifier": self.source_identifier,
                "documentDate": day,
                "documentName": self.name,
                "documentStatus": _DOCUMENT_STATUS[self.status],
                **common,
            }
        if self.kind == "payment":
            return {"invoiceNumber": self.invoice_number, "paymentDate": day, **common}
        return {"invoiceNumber": self.invoice_number, "invoiceDate": day, **common}


class AccountingSync:
    """Every accounting submission of every client."""

    def __init__(self, timeline: Timeline, seed: int, delay: timedelta, failure_rate: float):
        self._timeline = timeline
        self._seed = seed
        self._delay = delay
        self._failure_rate = failure_rate
        self.items: dict[tuple[str, Kind, str], SyncItem] = {}

    def check_new(self, client_id: str, kind: Kind, identifiers: list[str]) -> None:
        """409 if any identifier was submitted before (A14; A16 by analogy), nothing stored."""
        taken = [i for i in identifiers if (client_id, kind, i) in self.items]
        if taken:
            raise ApiError(
                409,
                f"DUPLICATE_{kind.upper()}",
                f"{kind} {', '.join(taken)} was already submitted",
                [("sourceIdentifier", i) for i in taken],
            )

    def submit(self, item: SyncItem) -> SyncItem:
        """Store a pending item and schedule its sync outcome."""
        self.items[(item.client_id, item.kind, item.source_identifier)] = item
        self._timeline.at(item.submitted_at + self._delay, lambda at: self._sync(item, at))
        return item

    def _sync(self, item: SyncItem, when: datetime) -> None:
        failed = unit(self._seed, f"sync|{item.kind}|{item.source_identifier}") < self._failure_rate
        item.status = FAILED if failed else SYNCED
        item.sync_date = None if failed else when.date()

    def query(
        self, client_id: str, kind: Kind, window: Window | None, identifier: str | None
    ) -> list[SyncItem]:
        """A15-A17 listing: by date window (on the item's date) and/or identifier."""
        found = [
            item
            for (owner, k, ident), item in self.items.items()
            if owner == client_id
            and k == kind
            and (window is None or window.contains(item.day))
            and (identifier is None or ident == identifier)
        ]
        return sorted(found, key=lambda i: (i.day, i.submitted_at, i.source_identifier))


LISTING_KEYS: dict[Kind, str] = {
    "ledger": "ledgers",
    "payment": "payments",
    "invoice": _wire.ACCOUNTING_INVOICES_KEY,
}
