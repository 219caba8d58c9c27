"""Query parameters: date windows (A11-A17 defaults and limits), booleans and identifiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .._core import wire as _wire
from ._http import ApiError, validation_error
from ._validate import parse_date


@dataclass(frozen=True)
class Window:
    """An inclusive date window; ``defaulted`` when the caller gave no dates."""

    start: date
    end: date
    defaulted: bool

    def contains(self, day: date) -> bool:
        """True when ``day`` lies inside the window."""
        return self.start <= day <= self.end


def date_window(
    query: Mapping[str, str],
    from_key: str,
    to_key: str,
    *,
    today: date,
    default_days: int,
    max_days: int,
    unbounded: bool = False,
) -> Window | None:
    """Read ``from_key``/``to_key`` as an inclusive window.

    Without either date the window is ``today - default_days .. today`` (DOC: last 30 days). With
    only one date the other side defaults (``to`` = today, ``from`` = ``to - default_days``).
    ``unbounded`` (a lookup by identifier without dates) returns ``None``: no date filter at all. A
    window longer than ``max_days`` answers 413 ``WINDOW_TOO_LARGE``.
    """
    raw_from, raw_to = query.get(from_key), query.get(to_key)
    errors: list[tuple[str, str]] = []
    start = _read(raw_from, from_key, errors)
    end = _read(raw_to, to_key, errors)
    if errors:
        raise validation_error(errors)
    if start is None and end is None:
        if unbounded:
            return None
        return Window(_days_before(today, default_days), today, True)
    end = end or max(today, start or today)
    start = start or _days_before(end, default_days)
    if start > end:
        raise validation_error([(from_key, f"must not be after {to_key}")])
    days = (end - start).days + 1
    if days > max_days:
        raise ApiError(
            413,
            _wire.CODE_WINDOW_TOO_LARGE,
            f"window of {days} days exceeds the maximum of {max_days} days",
        )
    return Window(start, end, False)


def _days_before(day: date, days: int) -> date:
    """``day - days``, or the first representable date (``toDate=0001-01-10`` is valid input)."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


def _read(raw: str | None, key: str, errors: list[tuple[str, str]]) -> date | None:
    if raw is None or raw == "":
        return None
    parsed = parse_date(raw)
    if parsed is None:
        errors.append((key, "must be a date in YYYY-MM-DD format"))
    return parsed


def flag(query: Mapping[str, str], key: str) -> bool:
    """Read a boolean query parameter (``true``/``false``/``1``/``0``); absent is false."""
    raw = query.get(key)
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise validation_error([(key, "must be true or false")])


def positive_int(query: Mapping[str, str], key: str) -> int | None:
    """Read an optional positive integer query parameter."""
    raw = query.get(key)
    if raw is None or raw == "":
        return None
    try:  # isdigit() admits digits int() refuses ("²"), and int() refuses over 4300 digits
        value = int(raw) if raw.isdigit() else 0
    except ValueError:
        value = 0
    if value <= 0:
        raise validation_error([(key, "must be a positive integer")])
    return value
