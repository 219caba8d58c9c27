"""The counts of one ``confirma submit`` run: the batch summary, plus lines it never saw."""

from __future__ import annotations

import time
from typing import Any

import attrs

from .. import BatchResult, BatchStatus, BatchSummary


@attrs.define
class Tally:
    """Counts of one submit run: a :class:`BatchSummary` plus malformed and blank lines.

    Malformed lines (not JSON, not a model) never reach the batch and count as failed; blank lines
    are counted apart (so that every line of the file is accounted for). Items the journal already
    knew are counted apart from this run's outcomes: ``created`` and ``already_exists`` say what
    this run did, ``journal_created`` and ``journal_existing`` what an earlier run recorded.
    """

    summary: BatchSummary = attrs.field(factory=BatchSummary)
    malformed: int = 0
    blank: int = 0
    unreported: int = 0
    """Items the batch took and never reported: the run stopped (journal failure) around them."""
    journal_created: int = 0
    """Items an earlier run created (taken from the journal, nothing sent)."""
    journal_existing: int = 0
    """Items an earlier run found already existing (taken from the journal, nothing sent)."""
    started: float = attrs.field(factory=time.perf_counter)

    def add(self, result: BatchResult[Any, Any]) -> None:
        """Count one batch result."""
        self.summary.add(result)
        if result.from_journal:
            if result.status is BatchStatus.CREATED:
                self.journal_created += 1
            elif result.status is BatchStatus.ALREADY_EXISTS:
                self.journal_existing += 1

    def add_malformed(self) -> None:
        """Count a line that never reached the batch."""
        self.malformed += 1

    @property
    def created(self) -> int:
        """Items created in this run."""
        return self.summary.created - self.journal_created

    @property
    def already_exists(self) -> int:
        """Items this run found already on the server."""
        return self.summary.already_exists - self.journal_existing

    @property
    def failed_items(self) -> int:
        """Items the batch reported failed (malformed lines not included)."""
        return self.summary.failed

    @property
    def failed(self) -> int:
        """Items that failed, malformed lines included."""
        return self.summary.failed + self.malformed

    @property
    def outcome_unknown(self) -> int:
        """Failed items the server may have applied."""
        return self.summary.outcome_unknown

    @property
    def circuit_open(self) -> int:
        """Failed items held back unsent because the server looked down."""
        return self.summary.circuit_open

    @property
    def from_journal(self) -> int:
        """Items the journal already knew (no request made)."""
        return self.summary.from_journal

    @property
    def attempts(self) -> int:
        """Submissions sent."""
        return self.summary.attempts

    @property
    def lookups(self) -> int:
        """Reconciliation lookups made."""
        return self.summary.lookups

    @property
    def total(self) -> int:
        """Items with an outcome (blank lines excluded)."""
        return self.summary.total + self.malformed

    @property
    def done(self) -> int:
        """Lines handled, blank ones included (progress against the line count)."""
        return self.total + self.blank

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started
