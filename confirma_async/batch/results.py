"""What the batch submitter reports: one result per item, stream counters and summaries."""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

import attrs

from ..errors import CircuitOpenError

T = TypeVar("T")
R = TypeVar("R")

BatchKey = int | str
"""The key of a batch item: the invoice number, or an action's key (see ``BatchSubmitter``)."""


class BatchStatus(enum.Enum):
    """The outcome of one batch item."""

    CREATED = "CREATED"
    """The server accepted the item in this run (invoice: 201; action: 202, queued)."""
    ALREADY_EXISTS = "ALREADY_EXISTS"
    """The invoice was already on the server (a 409, or the lookup after an unknown outcome found
    it, or the journal recorded it as done). Never used for actions except from the journal."""
    FAILED = "FAILED"
    """The item was not accepted (see ``error``), or its outcome is unknown when
    ``outcome_unknown`` is true."""


@attrs.frozen(kw_only=True, slots=True)
class BatchResult(Generic[T, R]):
    """What happened to one input item. Exactly one is produced per input item.

    ``item`` is the input object as given; ``key`` the invoice number (invoices) or the action
    key (actions; see ``BatchSubmitter.submit_actions``), ``None`` when the item was too broken
    to have one. ``index`` is the item's position in the input (0-based).

    ``response`` is the server's answer on success: ``InvoiceCreated`` for a created invoice,
    the ``DistributionRecord`` found by the lookup for an ``ALREADY_EXISTS`` reconciled after an
    unknown outcome, ``None`` after a 409 or when taken from the journal; ``QueuedAction`` for an
    action. ``error`` is set exactly when ``status`` is ``FAILED``.

    ``attempts`` counts the submissions (POSTs) this run made for the item (the transport's own
    automatic re-sends after 429 or a refused connection are inside one attempt); ``lookups`` the
    distribution lookups; ``elapsed`` the seconds from the item's first request to its result.
    ``outcome_unknown`` is true when the item FAILED but the server may have applied it (it was
    never re-sent blind). ``from_journal`` is true when no request was made because the journal
    already knew the outcome. ``lookup_error`` is the error of the reconciliation lookup that could
    not tell whether an item with an unknown outcome is on the server (a failed request, or a
    :class:`~confirma_async.LookupInconclusiveError`); raised while handling ``error``, it is
    chained to it (its ``__context__``).
    """

    item: T
    key: BatchKey | None
    index: int
    status: BatchStatus
    response: R | None = None
    error: Exception | None = None
    attempts: int = 0
    lookups: int = 0
    elapsed: float = 0.0
    outcome_unknown: bool = False
    from_journal: bool = False
    lookup_error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the item is on the server (``CREATED`` or ``ALREADY_EXISTS``)."""
        return self.status is not BatchStatus.FAILED


@attrs.define(kw_only=True)
class BatchSummary:
    """Counts of a drained batch stream (``BatchSubmitter.run``)."""

    total: int = 0
    created: int = 0
    already_exists: int = 0
    failed: int = 0
    outcome_unknown: int = 0
    """FAILED items that the server may have applied (check them by hand)."""
    from_journal: int = 0
    """Items skipped because the journal already had their outcome (counted in their status)."""
    circuit_open: int = 0
    """FAILED items held back unsent because the server looked down (a rerun sends them)."""
    attempts: int = 0
    lookups: int = 0
    elapsed: float = 0.0
    """Wall-clock seconds the stream took."""

    @property
    def ok(self) -> bool:
        """True when no item failed."""
        return self.failed == 0

    def add(self, result: BatchResult[Any, Any]) -> None:
        """Count one result."""
        self.total += 1
        status = result.status
        if status is BatchStatus.CREATED:
            self.created += 1
        elif status is BatchStatus.ALREADY_EXISTS:
            self.already_exists += 1
        else:
            self.failed += 1
            if result.outcome_unknown:
                self.outcome_unknown += 1
            elif isinstance(result.error, CircuitOpenError):
                self.circuit_open += 1
        if result.from_journal:
            self.from_journal += 1
        self.attempts += result.attempts
        self.lookups += result.lookups


@attrs.define(kw_only=True)
class BatchStats:
    """Live counters of one batch stream (reset when a stream starts); for tests and metrics.

    ``in_flight`` counts requests being sent right now; ``window`` the items taken from the input
    and not yet handed back (running or finished); ``buffered`` the finished ones among them.
    ``max_*`` are the peaks. ``pulled - handed_back == window`` at every hand-back.
    """

    pulled: int = 0
    handed_back: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    window: int = 0
    max_window: int = 0
    buffered: int = 0
    max_buffered: int = 0
    requests: int = 0
    lookups: int = 0
    resends: int = 0
