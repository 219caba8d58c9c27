"""Date windows: whole days, inclusive at both ends, split in two when the server cuts one."""

from __future__ import annotations

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def split_window(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """Halve a window of two days or more; the first half gets the extra day of an odd length."""
    days = (end - start).days + 1
    left_end = start + timedelta(days=(days + 1) // 2 - 1)
    return (start, left_end), (left_end + ONE_DAY, end)
