"""Parsing of the ``Retry-After`` response header (seconds or HTTP-date, RFC 9110 §10.2.3)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(
    value: str | None, *, cap: float, now: datetime | None = None
) -> float | None:
    """Return how many seconds to wait, capped at ``cap``; ``None`` if absent or unreadable.

    Accepts delta-seconds (``"120"``, also ``"1.5"`` leniently) and HTTP-dates
    (``"Wed, 21 Oct 2026 07:28:00 GMT"``). A date in the past means "now" (0 s).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)
