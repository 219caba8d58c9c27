"""Injectable clocks for the sandbox.

Every piece of sandbox state that changes with time (distribution status, pending actions,
accounting sync, token expiry, settlements) is computed lazily from ``clock.now()`` when it is read,
so a test that uses :class:`ManualClock` moves the whole service forward with ``clock.advance(...)``
and never sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the sandbox needs from a clock: the current aware UTC time, and a way to move it."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta`` (must not be negative)."""
        ...


def _check_forward(delta: timedelta) -> None:
    if delta < timedelta(0):
        raise ValueError(f"a clock cannot go backwards (got {delta})")


class SystemClock:
    """The real UTC wall clock, plus an offset that :meth:`advance` grows.

    The offset lets an out-of-process user (``POST /_sandbox/clock``) skip ahead in a sandbox that
    otherwise follows real time.
    """

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the wall-clock time plus the accumulated offset."""
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Add ``delta`` to the offset."""
        _check_forward(delta)
        self._offset += delta

    def __repr__(self) -> str:
        return f"SystemClock(offset={self._offset})"


class ManualClock:
    """A clock that stands still until told to move.

    ``ManualClock()`` starts at 2026-01-05 09:00 UTC (a Monday) so that tests are reproducible; pass
    ``start`` to choose another moment (it must be timezone-aware).
    """

    DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __init__(self, start: datetime | None = None) -> None:
        start = self.DEFAULT_START if start is None else start
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime (tzinfo=UTC)")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the clock's current moment."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        _check_forward(delta)
        self._now += delta

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (aware, not before the current time)."""
        if moment.tzinfo is None:
            raise ValueError("ManualClock.set needs an aware datetime")
        self.advance(moment.astimezone(UTC) - self._now)

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
