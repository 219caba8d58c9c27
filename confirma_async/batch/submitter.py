"""Bulk submission: bounded concurrency, one result per item, no duplicates, resumable.

::

    async with ConfirmaClient(api_key=token) as client:
        batch = client.batch(concurrency=32, journal="upload.jsonl")
        async with batch.submit_invoices(read_invoices()) as results:
            async for result in results:
                if not result.ok:
                    print(result.key, result.error)

        summary = await batch.run(batch.submit_invoices(read_invoices()))  # counts only

The guarantees (and where they end) are described in ``docs/guides/bulk-upload.md``.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable
from typing import Any, Generic, TypeVar

import attrs

from .._core.closing import AsyncClosing
from ..errors import BatchBusyError, ClientClosedError, ConfigurationError
from ..models.actions import QueuedAction
from ..resources.invoices import Invoices
from ._store import JournalStore
from .actions import ActionJobs, ActionKeyFunc
from .guards import CircuitBreaker, Pacing
from .invoices import InvoiceJobs, InvoiceResponse
from .jobs import Context
from .journal import Journal, client_fingerprint
from .rate import RateLimiter
from .results import BatchResult, BatchStats, BatchSummary
from .window import SlidingWindow

__all__ = ["BatchStream", "BatchSubmitter"]

T = TypeVar("T")
R = TypeVar("R")


class BatchStream(AsyncClosing, Generic[T, R]):
    """An async iterator of :class:`BatchResult`, one per input item; also an async context manager.

    Leaving the ``async with`` block (or calling :meth:`aclose`) stops the stream at once: requests
    still running are cancelled and awaited, the journal is closed. Without ``async with``, a
    ``break`` out of ``async for`` leaves that cleanup to the garbage collector; prefer the block.
    """

    def __init__(self, submitter: BatchSubmitter, results: AsyncGenerator[BatchResult[T, R], None]):
        self._submitter = submitter
        self._results = results

    @property
    def stats(self) -> BatchStats:
        """The live counters of this stream."""
        return self._submitter.stats

    def __aiter__(self) -> AsyncGenerator[BatchResult[T, R], None]:
        return self._results  # iterate the generator itself: no wrapper call per result

    async def __anext__(self) -> BatchResult[T, R]:
        return await self._results.__anext__()

    async def aclose(self) -> None:
        """Stop the stream: cancel running requests, wait for them, close the journal."""
        await self._results.aclose()


class BatchSubmitter:
    """Submits many invoices or actions with bounded concurrency; made by ``client.batch(...)``.

    It sends through ``invoices`` (the client's invoices resource) and refuses to start a stream
    once ``closed()`` says the client is closed (:class:`ClientClosedError`, as every request of a
    closed client does).

    ``concurrency``: at most this many requests in flight, and at most twice this many items taken
    from the input and not yet handed back (running, or finished and waiting for you), so memory
    is O(concurrency) whatever the input length, and intake stops when you stop taking results.
    ``rate_limit``: at most this many requests per second (submissions and lookups; the
    transport's own automatic re-sends are not counted). ``ordered``: yield results in input
    order (a slow item then holds back the ones after it, within the same window). ``journal``: a
    path or :class:`Journal` making the job resumable. ``max_attempts``: submissions per item
    (re-sends happen only when the server provably did not store the item, and wait as
    ``backoff=(base, cap)`` says, or the server's ``Retry-After``). ``target`` (the base URL) and
    ``client_id`` (the creditor account the key acts for, if known) bind the journal.
    ``breaker_threshold``: after that many submissions in a row failed like a down server, the
    rest of the stream is not sent (:class:`CircuitOpenError`; ``None`` disables).
    ``accept_journal_mismatch``: use a journal bound to another target or client (rebinding it),
    and trust it for an item
    whose content changed since (otherwise such an item fails with :class:`JournalError`). A key
    repeated in the input is sent once: the copy waits for the first and takes its outcome when
    equal (``ALREADY_EXISTS``), else fails with :class:`DuplicateInputError`.

    A submitter runs one stream at a time (:class:`BatchBusyError` otherwise); :attr:`stats` are
    reset when a stream starts.
    """

    def __init__(
        self,
        invoices: Invoices,
        *,
        closed: Callable[[], bool] = lambda: False,
        concurrency: int = 32,
        rate_limit: float | None = None,
        ordered: bool = False,
        journal: JournalStore | str | os.PathLike[str] | None = None,
        max_attempts: int = 5,
        target: str | None = None,
        client_id: str | None = None,
        backoff: tuple[float, float] = (0.5, 30.0),
        breaker_threshold: int | None = 20,
        accept_journal_mismatch: bool = False,
    ) -> None:
        _check_positive_int("concurrency", concurrency)
        _check_positive_int("max_attempts", max_attempts)
        if breaker_threshold is not None:
            _check_positive_int("breaker_threshold", breaker_threshold)
        self._invoices = invoices
        self._closed = closed
        self._target = target
        self._client = None if client_id is None else client_fingerprint(client_id)
        self.pacing = Pacing(*backoff)
        """How re-sends wait (``backoff=(base, cap)``, or the server's ``Retry-After``)."""
        self.breaker_threshold = breaker_threshold
        """Submissions failing in a row like a down server before the rest is held back."""
        self.accept_journal_mismatch = accept_journal_mismatch
        """Go by the journal even if it belongs to another target or recorded other content."""
        self.concurrency = concurrency
        """At most this many requests in flight (and items pending)."""
        self.ordered = ordered
        """Whether results come in input order."""
        self.max_attempts = max_attempts
        """Submissions per item at most."""
        self.rate_limit = rate_limit
        """Requests per second at most, or ``None``."""
        self._limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        self.journal: JournalStore | None = (
            Journal(journal) if isinstance(journal, str | os.PathLike) else journal
        )
        """The journal, if any (opened while a stream runs)."""
        self.stats = BatchStats()
        """Live counters of the current (or last) stream."""
        self._busy = False

    def __repr__(self) -> str:
        return (
            f"BatchSubmitter(concurrency={self.concurrency}, rate_limit={self.rate_limit}, "
            f"ordered={self.ordered}, journal={self.journal!r})"
        )

    def submit_invoices(
        self, items: Iterable[T] | AsyncIterable[T]
    ) -> BatchStream[T, InvoiceResponse]:
        """Submit invoices; yields one :class:`BatchResult` per item, keyed by invoice number.

        An item is an ``InvoiceRequest`` or a wire-format mapping (validated as one); anything
        else, or a mapping breaking a rule, is a FAILED result that costs no request. ``items``
        is pulled lazily, one item per result handed back.
        """
        jobs: InvoiceJobs[T] = InvoiceJobs(self._context())
        return self._stream(items, jobs.prepare)

    def submit_actions(
        self,
        items: Iterable[T] | AsyncIterable[T],
        *,
        key: ActionKeyFunc | None = None,
    ) -> BatchStream[T, QueuedAction]:
        """Submit invoice actions, one ``POST /invoice/action`` per item; one result per item.

        An item is an ``InvoiceAction`` or a wire-format mapping. ``key(action)`` gives each
        action the key the journal remembers it by (an ``int`` or ``str`` that must be stable
        across runs, e.g. your own id for the action); by default it is the action's code,
        target and a hash of its content (see :func:`default_action_key`), so lines may be
        inserted or reordered between runs. An action
        whose outcome is unknown is FAILED with ``outcome_unknown`` and never re-sent, not even
        by a later run with the same journal.
        """
        jobs: ActionJobs[T] = ActionJobs(self._context(), key)
        return self._stream(items, jobs.prepare)

    async def run(
        self,
        results: AsyncIterable[BatchResult[Any, Any]],
        *,
        on_result: Callable[[BatchResult[Any, Any]], object] | None = None,
    ) -> BatchSummary:
        """Drain a stream and return its counts, keeping no result (``on_result`` sees each)."""
        summary = BatchSummary()
        started = time.perf_counter()
        try:
            async for result in results:
                summary.add(result)
                if on_result is not None:
                    on_result(result)
        finally:
            aclose = getattr(results, "aclose", None)
            if aclose is not None:
                await aclose()
            summary.elapsed = time.perf_counter() - started
        return summary

    def _context(self) -> Context:
        threshold = self.breaker_threshold
        breaker = None if threshold is None else CircuitBreaker(threshold)
        if self._closed():
            raise ClientClosedError("the client of this batch is closed")
        return Context(
            self._invoices,
            stats=self.stats,
            limiter=self._limiter,
            journal=self.journal,
            max_attempts=self.max_attempts,
            pacing=self.pacing,
            breaker=breaker,
            strict_journal=not self.accept_journal_mismatch,
        )

    def _stream(
        self, items: Iterable[T] | AsyncIterable[T], prepare: Callable[[int, T], Any]
    ) -> BatchStream[T, R]:
        if not isinstance(items, Iterable | AsyncIterable) or isinstance(items, str | bytes):
            raise ConfigurationError("items", type(items).__name__, "must be an (async) iterable")
        return BatchStream(self, self._results(items, prepare))

    def _results(
        self, items: Iterable[T] | AsyncIterable[T], prepare: Callable[[int, T], Any]
    ) -> AsyncGenerator[BatchResult[T, R], None]:
        # Perf: the window's own generator is the stream (no generator re-yielding each result);
        # it calls _start when iteration starts and _end once its workers are stopped.
        window: SlidingWindow[T, BatchResult[T, R]] = SlidingWindow(
            prepare, concurrency=self.concurrency, ordered=self.ordered, stats=self.stats
        )
        return window.run(items, start=self._start, end=self._end)

    def _start(self) -> None:
        if self._busy:
            raise BatchBusyError("this BatchSubmitter already has a stream running")
        self._busy = True
        try:
            self._reset_stats()
            if self.journal is not None:
                self.journal.open(
                    self._target, client=self._client, rebind=self.accept_journal_mismatch
                )
        except BaseException:
            self._busy = False
            raise

    def _end(self) -> None:
        try:
            if self.journal is not None:
                self.journal.close()
        finally:
            self._busy = False

    def _reset_stats(self) -> None:
        for field in attrs.fields(BatchStats):
            setattr(self.stats, field.name, field.default)


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(name, value, "must be an integer >= 1")
