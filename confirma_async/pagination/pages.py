"""What a pager hands out and counts: one window's :class:`Page`, a fetch's :class:`WindowResult`.

CFIS listings have no page or cursor parameters; they filter by an inclusive date window (A11-A17).
A pager therefore walks ``[start, end]`` in windows of whole days, and a "page" is one window.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Generic, TypeVar

import attrs

T = TypeVar("T")


@attrs.frozen(kw_only=True, slots=True)
class Page(Generic[T]):
    """One date window of a listing: its inclusive ``[start, end]`` and the records in it.

    Records are de-duplicated against the previous window and against a resumed checkpoint.
    """

    start: date
    end: date
    items: list[T]

    @property
    def days(self) -> int:
        """Number of days the window covers (inclusive)."""
        return (self.end - self.start).days + 1


@attrs.frozen(kw_only=True, slots=True)
class WindowResult(Generic[T]):
    """What a window fetch returns: the records, and the server's match count if it sends one.

    ``total_count`` larger than ``len(items)`` means the server cut the window (A11).
    """

    items: Sequence[T]
    total_count: int | None = None


WindowFetch = Callable[[date, date], Awaitable[WindowResult[T]]]
"""An async function fetching one inclusive window ``(start, end)``."""


@attrs.define(kw_only=True, slots=True)
class PagerStats:
    """Counters a pager keeps while it runs (for tests, logs and benchmarks; never reset).

    ``max_buffered_windows`` counts windows being fetched, fetched but not yet handed out, and the
    one the consumer holds; it never exceeds ``prefetch + 1``.
    """

    requests: int = 0
    """Window requests started (including ones later split or cancelled)."""
    splits: int = 0
    """Windows split in two because they came back truncated, too large or failing."""
    pages: int = 0
    """Windows handed out."""
    items: int = 0
    """Records in the windows handed out (after de-duplication)."""
    duplicates: int = 0
    """Records dropped because their key was already seen at a window edge."""
    skipped: int = 0
    """Records dropped because a resumed checkpoint had already yielded them."""
    in_flight: int = 0
    """Window requests running right now."""
    max_in_flight: int = 0
    """Most window requests ever running at once."""
    max_buffered_windows: int = 0
    """Most windows ever held at once (in flight, buffered, or with the consumer)."""
