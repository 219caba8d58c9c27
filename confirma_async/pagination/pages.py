"""What a pager hands out and counts: one window's :class:`Page`, a fetch's :class:`WindowResult`.

CFIS listings have no page or cursor parameters; they filter by an inclusive date window (A11-A17).
A pager therefore walks ``[start, end]`` in windows of whole days, and a "page" is one window.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar, overload

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


class Unbuilt(Sequence[T]):
    """Records fetched but not built yet (internal: a fetch of the client's may return these).

    ``rows`` are decoded values that answer the pager's ``key`` as their records would, and
    ``build(rows)`` returns the records of a list of rows, in order. The item iterator builds
    them as its consumer reaches them, a chunk at a time, so a streamed record is dropped young:
    built all at once, a window's thousands of records outlive several young-generation
    collections and the cyclic garbage collector scans them again and again (measured: about a
    sixth of the pager's CPU per record). ``pages()`` gets every window built whole.
    """

    __slots__ = ("build", "rows")

    def __init__(self, rows: list[Any], build: Callable[[list[Any]], list[T]]) -> None:
        self.rows = rows
        self.build = build

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return self.build(self.rows[index])
        return self.build([self.rows[index]])[0]


def built(items: Sequence[T]) -> list[T]:
    """``items`` as a list of records (built now if they were not)."""
    if isinstance(items, Unbuilt):
        return items.build(items.rows)
    return items if isinstance(items, list) else list(items)


class Held(Generic[T]):
    """Internal: the window the consumer holds (its records possibly :class:`Unbuilt`)."""

    __slots__ = ("end", "items", "start")

    def __init__(self, start: date, end: date, items: Sequence[T]) -> None:
        self.start = start
        self.end = end
        self.items = items


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
