"""What ``BulkJob.status()`` and ``BulkJob.results()`` report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs


@attrs.frozen(kw_only=True)
class JobStatus:
    """A bulk job's live counts, read from the store (every item is in exactly one count).

    ``pending``: nobody holds it yet (or it was released); ``in_progress``: a worker holds it
    (claimed, or sent and waiting for its result to be written). ``outcome_unknown`` counts the
    failed items the server may have applied. ``rate`` is items finished per second over the last
    ``window`` seconds (``None`` before any); ``eta`` the seconds left at that rate.
    ``failures`` counts failed items by reason (the error's type; ``… (outcome unknown)`` apart).
    """

    job_id: int
    kind: str
    name: str | None
    total: int
    pending: int
    in_progress: int
    created: int
    already_exists: int
    failed: int
    outcome_unknown: int
    workers: int
    """Workers whose lease holds right now."""
    rate: float | None
    eta: float | None
    failures: Mapping[str, int]
    created_at: datetime

    @property
    def done(self) -> int:
        """Items in a final state."""
        return self.created + self.already_exists + self.failed

    @property
    def finished(self) -> bool:
        """True when every item has its final state."""
        return self.done == self.total

    @property
    def stored(self) -> int:
        """Items on the server: created, or found already there."""
        return self.created + self.already_exists


@attrs.frozen(kw_only=True)
class JobItemResult:
    """The outcome of one item of a job (``BulkJob.results()``), in input order.

    ``state`` is ``created``, ``already_exists`` or ``failed`` once final, else ``pending``,
    ``claimed`` or ``sending``. ``line`` is the item's line in the loaded file (or its 1-based
    position in the loaded iterable); ``key`` the invoice number or the action key (``None`` when
    the item was too broken to have one). ``attempts`` and ``lookups`` add up every worker's.
    """

    seq: int
    line: int | None
    key: str | None
    state: str
    attempts: int
    lookups: int
    outcome_unknown: bool
    error_type: str | None
    error: str | None
    finished_at: datetime | None
