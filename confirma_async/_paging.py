"""Building blocks of the date-window pager: pages, statistics, errors, windows and checkpoints.

CFIS listings have no page or cursor parameters; they filter by an inclusive date window (A11-A17).
A pager therefore walks ``[start, end]`` in windows of whole days, and a "page" is one window.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

import attrs

from .errors import ConfirmaError, RequestValidationError

T = TypeVar("T")

CHECKPOINT_VERSION = 1
ONE_DAY = timedelta(days=1)


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


class PaginationError(ConfirmaError):
    """Fetching one window of a listing failed; ``__cause__`` is the original error.

    ``window_start``/``window_end`` name the failing window. Records of earlier windows were
    already yielded; ``pager.checkpoint`` resumes at this window.
    """

    def __init__(self, message: str, *, source: str, window_start: date, window_end: date) -> None:
        self.source = source
        self.window_start = window_start
        self.window_end = window_end
        super().__init__(f"{source} window {window_start}..{window_end}: {message}")

    @property
    def error(self) -> BaseException | None:
        """The original error (same as ``__cause__``), e.g. a ``ServerError``."""
        return self.__cause__


class WindowTruncatedError(PaginationError):
    """A one-day window still holds more records than the server returns in one response.

    A day cannot be split further (the API filters by date), so rather than drop records the pager
    stops here. Narrow the query (e.g. ``invoice_number=``) or raise the server's limit.
    """

    def __init__(
        self, *, source: str, window_start: date, window_end: date, returned: int, total: int | None
    ) -> None:
        self.returned = returned
        self.total = total
        matched = f"{total} records matched" if total is not None else "the response hit the limit"
        super().__init__(
            f"{matched} but the server returned {returned}; a one-day window cannot be split "
            "further, so the pager stops instead of dropping records",
            source=source,
            window_start=window_start,
            window_end=window_end,
        )


class PagerStateError(ConfirmaError, RuntimeError):
    """A pager was iterated a second time (or after ``aclose``); a pager runs once."""


def whole_days(field: str, value: object) -> int:
    """Return ``value`` (a ``timedelta`` of whole days, at least one) as a number of days."""
    if not isinstance(value, timedelta) or value < ONE_DAY or value % ONE_DAY:
        raise RequestValidationError(field, value, "must be a timedelta of whole days, >= 1 day")
    return value.days


def non_negative_int(field: str, value: object) -> int:
    """Return ``value`` if it is an ``int`` >= 0 (``bool`` excluded), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestValidationError(field, value, "must be an integer >= 0")
    return value


def split_window(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """Halve a window of two days or more; the first half gets the extra day of an odd length."""
    days = (end - start).days + 1
    left_end = start + timedelta(days=(days + 1) // 2 - 1)
    return (start, left_end), (left_end + ONE_DAY, end)


def freeze_key(value: Any) -> Hashable:
    """Turn a key read back from JSON (lists for tuples) into a hashable key."""
    if isinstance(value, list):
        return tuple(freeze_key(v) for v in value)
    key: Hashable = value
    return key


def thaw_key(key: Hashable) -> Any:
    """Turn a key into JSON data (tuples become lists)."""
    if isinstance(key, tuple):
        return [thaw_key(k) for k in key]
    return key


@attrs.frozen(kw_only=True, slots=True)
class Resume:
    """A decoded checkpoint: continue at ``next``; drop ``skip`` keys up to ``skip_through``."""

    next: date
    skip: frozenset[Hashable] = frozenset()
    skip_through: date | None = None


def encode_checkpoint(
    *,
    source: str,
    end: date,
    next_date: date,
    skip: Iterable[Hashable],
    skip_through: date | None,
) -> dict[str, Any]:
    """Build the JSON-serialisable checkpoint dict of a pager."""
    keys = [thaw_key(k) for k in skip]
    return {
        "version": CHECKPOINT_VERSION,
        "source": source,
        "next": next_date.isoformat(),
        "end": end.isoformat(),
        "skip": keys,
        "skip_through": skip_through.isoformat() if keys and skip_through else None,
    }


def decode_checkpoint(data: object, *, source: str) -> Resume:
    """Read a checkpoint written by :func:`encode_checkpoint` for the same listing."""
    field = "resume_from"
    if not isinstance(data, Mapping):
        raise RequestValidationError(field, data, "must be a pager checkpoint dict")
    if data.get("version") != CHECKPOINT_VERSION:
        raise RequestValidationError(field, data.get("version"), "unsupported checkpoint version")
    if data.get("source") != source:
        raise RequestValidationError(
            f"{field}.source", data.get("source"), f"is a checkpoint of another listing ({source})"
        )
    try:
        next_date = date.fromisoformat(data["next"])
        through = data.get("skip_through")
        skip_through = None if through is None else date.fromisoformat(through)
        skip = frozenset(freeze_key(k) for k in data.get("skip") or ())
    except (KeyError, TypeError, ValueError) as exc:
        raise RequestValidationError(field, data, f"malformed checkpoint ({exc})") from None
    return Resume(next=next_date, skip=skip, skip_through=skip_through)
