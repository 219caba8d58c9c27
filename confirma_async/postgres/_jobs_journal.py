"""The PostgreSQL job store's side of the journal interface: one worker's view of its claims.

The batch machinery asks this journal what it asks the JSONL one (``get``, ``sending``,
``finished``), so the exactly-once rules are the same code. What differs is where the answers
come from and when they are written:

* ``get`` answers from the rows this worker claimed: an item a dead worker held, or one that
  failed with an unknown outcome, is ``SENDING`` (possibly sent: looked up before any re-send);
  a fresh one is unknown (``None``). Items in a final state are never claimed, so never sent.
* ``sending`` is the fence: it refuses (:class:`JournalError`) once this worker's lease may have
  run out, so a worker that stopped renewing never sends an item another worker may now hold.
  The row is marked ``sending`` with the next flush; durability does not depend on that mark,
  because every claimed item whose holder died counts as possibly sent.
* ``finished`` keeps the outcome in memory; the worker writes final states in batches from the
  results it hands back (a crash before that flush loses nothing: see above).
* A worker that stops without crashing (the end of its run, a cancellation, Ctrl-C) hands back
  the claims it never sent, or sent only to have them refused (:meth:`ClaimedJournal.unsent`):
  they go back to ``pending``, not possibly sent, so the next holder sends them without a lookup
  (an action is not left in doubt for nothing).
"""

from __future__ import annotations

import time

from ..batch.journal import SENDING, JournalEntry
from ..batch.results import BatchKey, BatchStatus
from ..errors import JournalError

__all__ = ["ClaimedJournal"]

FAILED = BatchStatus.FAILED.value


class ClaimedJournal:
    """The journal of one worker over job ``job_id`` (implements ``JournalStore``)."""

    def __init__(self, job_id: int, worker_id: int, binding: tuple[str | None, str | None]):
        self.job_id = job_id
        self.worker_id = worker_id
        self.binding = binding
        """(target, client fingerprint) recorded for the job when this worker started."""
        self.valid_until = 0.0
        """``time.monotonic()`` until which this worker's lease surely holds (see ``Worker``)."""
        self.lost: str | None = None
        """Why the lease is gone for good (``None`` while it holds)."""
        self.claimed: dict[BatchKey, tuple[int, bool, int | None]] = {}
        """key -> (seq, maybe_sent, content hash) of the items claimed and not yet finished."""
        self.started: list[tuple[int, int]] = []
        """(seq, content) of items sent since the last flush."""
        self.unyielded: set[int] = set()
        """Seqs of the claimed chunk not handed to the batch yet."""
        self.refused: dict[BatchKey, tuple[int, bool, int | None]] = {}
        """Claims whose every attempt was refused (nothing applied), until sent again or
        handed back as a result (the worker drops those)."""

    def open(
        self, target: str | None = None, *, client: str | None = None, rebind: bool = False
    ) -> None:
        """Check the run's binding against the job's (recorded by the worker before the run)."""
        for part, mine, theirs in (
            ("server", self.binding[0], target),
            ("client", self.binding[1], client),
        ):
            if mine is not None and theirs is not None and mine != theirs and not rebind:
                raise JournalError(
                    f"job {self.job_id} belongs to {part} {mine}, not {theirs}: its records say "
                    "nothing about this one (use another job, or rebind it if you mean it)"
                )

    def close(self) -> None:
        """Nothing to release: the worker owns the connections."""

    def get(self, kind: str, key: BatchKey) -> JournalEntry | None:
        """``SENDING`` for a claimed item that was possibly sent before; else ``None``."""
        claim = self.claimed.get(key)
        if claim is None or not claim[1]:
            return None
        return JournalEntry(SENDING, False, claim[2])

    def sending(self, kind: str, key: BatchKey, content: int | None = None) -> None:
        """Refuse once the lease may have run out; else note the item as sent."""
        if self.lost is not None or time.monotonic() >= self.valid_until:
            raise JournalError(
                f"worker {self.worker_id} of job {self.job_id} stopped sending: "
                f"{self.lost or 'its lease could not be renewed in time'}; its claims pass to "
                "the other workers, which look up what it may have sent"
            )
        claim = self.claimed.get(key)
        if claim is None:  # sent again after a refusal
            claim = self.refused.pop(key, None)
        if claim is not None:
            self.claimed[key] = (claim[0], True, content)
            self.started.append((claim[0], content or 0))

    def finished(
        self,
        kind: str,
        key: BatchKey,
        status: str,
        *,
        unknown: bool,
        attempts: int,
        error: str | None,
    ) -> None:
        """Forget the claim (the worker writes the result row from the stream's result).

        A known failure (a refusal, before a re-send or as the result) is kept in ``refused``.
        """
        claim = self.claimed.pop(key, None)
        if claim is not None and status == FAILED and not unknown:
            self.refused[key] = claim

    def unsent(self) -> list[int]:
        """The seqs of claims this worker never sent, or sent only to be refused.

        The worker hands them back when it stops (rows possibly sent before it claimed them
        are not handed back: the release skips them).
        """
        never = [claim[0] for claim in self.claimed.values() if not claim[1]]
        return [*self.unyielded, *never, *(claim[0] for claim in self.refused.values())]
