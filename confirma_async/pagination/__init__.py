"""Streaming over CFIS listings: :class:`AsyncPager` walks an explicit date range window by window.

CFIS listings (distribution records, payments, settlements, accounting statuses) document no page
or cursor parameters: they filter by an inclusive date window and fall back to the last 30 days when
none is given. Every listing method of this client therefore takes an explicit ``[start, end]``
(``datetime.date``, inclusive) and returns an :class:`AsyncPager`::

    pager = client.invoices.distributions(date(2026, 1, 1), date(2026, 3, 31))
    async for record in pager:          # records in window order
        store(record)
        save(pager.checkpoint)          # JSON: resume with resume_from=checkpoint

* **Windows** are whole days (the API filters by date), ``window=timedelta(days=1)`` by default.
* **Prefetch**: while you consume one window the next ``prefetch`` windows (default 2) are fetched;
  records still come strictly in window order and at most ``prefetch + 1`` windows are in memory.
* **Adaptive splitting**: a window the server cut (``metaData.totalCount`` above the records
  returned, A11; or, for listings without counts, a response of ``max_records_per_response``
  records) or refused as too large (413) is split in two, down to one day; a window that times out
  or fails with a 5xx (after the transport's own retries) is split while it is wider than
  ``min_window``. Records are de-duplicated by key across window edges. A single day that is still
  cut raises :class:`WindowTruncatedError` rather than drop records.
* **Errors** surface at the window where they happened, after every record before it, as a
  :class:`PaginationError` naming the window, with the typed original as ``__cause__``.
* **Stopping**: ``break``, an exception in your loop body, cancellation and
  :meth:`AsyncPager.aclose` cancel outstanding fetches (``async with pager:`` also waits for them).
* A pager runs once; iterate it with ``async for``, :meth:`~AsyncPager.pages` or
  :meth:`~AsyncPager.to_list`, and resume a new one from :attr:`~AsyncPager.checkpoint`.
"""

from __future__ import annotations

from ..errors import PagerStateError, PaginationError, WindowTruncatedError
from .coordination import (
    MemoryCoordination,
    SharedCheckpoint,
    StreamKey,
    WatchCoordination,
    WatchLease,
)
from .pager import AsyncPager, PagerOptions
from .pages import Page, PagerStats, WindowFetch, WindowResult
from .watch import DistributionWatcher, WatchStats

__all__ = [
    "AsyncPager",
    "DistributionWatcher",
    "MemoryCoordination",
    "Page",
    "PagerOptions",
    "PagerStateError",
    "PagerStats",
    "PaginationError",
    "SharedCheckpoint",
    "StreamKey",
    "WatchCoordination",
    "WatchLease",
    "WatchStats",
    "WindowFetch",
    "WindowResult",
    "WindowTruncatedError",
]
