"""Read-only inspection of a sandbox's state, for tests (``sandbox.state.accepted_count(...)``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._accounting import AccountingSync, Kind, SyncItem
from ._actions import ActionQueue, StoredAction
from ._cases import Case
from ._events import Timeline
from ._fmt import stamp
from ._invoice import StoredInvoice
from ._money import AgencyLedger, PaymentRecord, Settlement


@dataclass(slots=True)
class ReceivedRequest:
    """One API request as the sandbox received it (``Sandbox.record_requests()``).

    Logged on arrival; the sandbox fills in ``fault`` and ``status`` as the request proceeds
    (read them, do not change them).
    """

    endpoint: str
    """``"METHOD /path"`` (the path after the API prefix)."""
    client_id: str | None
    """The client whose token the request carried (``None``: no token of a client)."""
    headers: Mapping[str, str]
    """The request's headers, without the API key."""
    body: bytes | None = None
    """The raw body, when recording with ``bodies=True`` (else ``None``)."""
    fault: str | None = None
    """The kind of the fault rule that decided the request (``error``, ``rate_limit``, ``drop``,
    ``commit_drop``, ``slow``), or ``None``: handled normally (latency and holds are not named)."""
    status: int | None = None
    """The status the sandbox answered (a ``commit_drop`` or ``slow`` request: the one it had
    ready); ``None`` while in progress, after a ``drop``, or if the client left before it."""


class Inspection:
    """What tests may ask a sandbox; mixed into :class:`SandboxState`.

    Returned objects are the live records: read them, do not change them.
    """

    _invoices: dict[tuple[str, int], list[StoredInvoice]]
    _accepted: list[StoredInvoice]
    _cases: dict[int, Case]
    _submissions: Counter[tuple[str, int]]
    action_queue: ActionQueue
    ledger: AgencyLedger
    accounting: AccountingSync
    timeline: Timeline
    requests: Counter[str]
    """Requests received per ``"METHOD /path"`` (path after the API prefix)."""
    responses: Counter[tuple[str, int]]
    """Responses sent per (``"METHOD /path"``, status)."""
    received: list[ReceivedRequest] | None
    """Every API request in arrival order, once ``Sandbox.record_requests()`` was called."""

    @property
    def default_client_id(self) -> str:
        """The seeded client's id."""
        raise NotImplementedError

    def sync(self) -> datetime:
        """Apply every event due by now and return now."""
        raise NotImplementedError

    def find_invoice(self, client_id: str, number: int) -> StoredInvoice | None:
        """The client's (latest) invoice with ``number``."""
        raise NotImplementedError

    def _client(self, client_id: str | None) -> str:
        return client_id or self.default_client_id

    def accepted_count(self, invoice_number: int, client_id: str | None = None) -> int:
        """How many times ``invoice_number`` was accepted (201); 1 means exactly once."""
        return len(self._invoices.get((self._client(client_id), invoice_number), []))

    def accepted_counts(self, client_id: str | None = None) -> Counter[int]:
        """Acceptances per invoice number of one client (default: the seeded client)."""
        owner = self._client(client_id)
        return Counter(i.number for i in self._accepted if i.client_id == owner)

    def submission_count(self, invoice_number: int, client_id: str | None = None) -> int:
        """How many valid ``POST /invoice`` bodies named the number (accepted or rejected 409)."""
        return self._submissions[(self._client(client_id), invoice_number)]

    def invoices(self, client_id: str | None = None) -> list[StoredInvoice]:
        """Every accepted invoice of a client, in acceptance order (treat as read-only)."""
        self.sync()
        owner = self._client(client_id)
        return [i for i in self._accepted if i.client_id == owner]

    def invoice(self, invoice_number: int, client_id: str | None = None) -> StoredInvoice | None:
        """One stored invoice (the latest copy), or ``None``."""
        self.sync()
        return self.find_invoice(self._client(client_id), invoice_number)

    def cases(self) -> list[Case]:
        """Every agency case, oldest first."""
        self.sync()
        return list(self._cases.values())

    def case(self, case_id: int) -> Case | None:
        """One case, or ``None``."""
        self.sync()
        return self._cases.get(case_id)

    def actions(self) -> list[StoredAction]:
        """Every invoice action received, with its status (``PENDING``/``APPLIED``/``REJECTED``)."""
        self.sync()
        return list(self.action_queue.actions)

    def payments(self) -> list[PaymentRecord]:
        """Every payment registered on a case (not the generated ones)."""
        self.sync()
        return list(self.ledger.payments)

    def settlements(self) -> list[Settlement]:
        """Every settlement produced so far."""
        self.sync()
        return list(self.ledger.settlements)

    def accounting_items(self, kind: Kind | None = None) -> list[SyncItem]:
        """Accounting submissions (``ledger``, ``payment``, ``invoice``) with their sync status."""
        self.sync()
        return [i for i in self.accounting.items.values() if kind is None or i.kind == kind]

    def requests_received(self, method: str = "*", path: str = "*") -> int:
        """Requests received for an endpoint (``path`` after the API prefix), faulted ones too."""
        return sum(n for key, n in self.requests.items() if _endpoint_matches(key, method, path))

    def responses_sent(self, method: str = "*", path: str = "*", status: int | None = None) -> int:
        """Responses answered for an endpoint, optionally only with ``status``."""
        return sum(
            n
            for (key, code), n in self.responses.items()
            if _endpoint_matches(key, method, path) and (status is None or code == status)
        )

    def summary(self) -> dict[str, Any]:
        """Counts of everything stored, for the admin route and quick looks."""
        now = self.sync()
        return {
            "now": stamp(now),
            "invoices": len(self._accepted),
            "cases": len(self._cases),
            "actions": len(self.action_queue.actions),
            "payments": len(self.ledger.payments),
            "settlements": len(self.ledger.settlements),
            "accounting": len(self.accounting.items),
            "pendingEvents": len(self.timeline),
            "requests": dict(self.requests),
        }

    def iter_accepted(self) -> Iterator[StoredInvoice]:
        """Every accepted invoice of every client, in acceptance order."""
        return iter(self._accepted)


def _endpoint_matches(key: str, method: str, path: str) -> bool:
    key_method, _, key_path = key.partition(" ")
    return (method == "*" or method.upper() == key_method) and (path == "*" or path == key_path)
