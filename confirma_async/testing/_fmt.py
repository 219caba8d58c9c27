"""Wire formats of values the sandbox writes: timestamps and money."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def stamp(moment: datetime) -> str:
    """A23: UTC ISO 8601 with milliseconds and ``Z`` (``2026-01-05T09:00:00.000Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def midnight(day: date) -> datetime:
    """The aware UTC datetime at the start of ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


def day_stamp(day: date) -> str:
    """A date written the way ``/payments`` writes it (``2026-03-27T00:00:00Z``, EX)."""
    return f"{day.isoformat()}T00:00:00Z"


def money(amount: Decimal) -> Decimal:
    """Round to cents, so the encoder writes exactly two decimals (``12.50``)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
