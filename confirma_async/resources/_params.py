"""Argument checks shared by the resource methods: dates, ids, models (extras: ``_extras``)."""

from __future__ import annotations

from datetime import date, datetime

from .._extras import ExtraHeaders, ExtraQuery, check_extras, check_headers, with_query
from ..errors import RequestValidationError

__all__ = [
    "ExtraHeaders",
    "ExtraQuery",
    "check_date",
    "check_extras",
    "check_headers",
    "positive_int",
    "require_model",
    "window",
    "with_query",
]


def check_date(field: str, value: object) -> date:
    """Return ``value`` if it is a ``datetime.date`` (not a datetime), else raise."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise RequestValidationError(field, value, "must be a datetime.date")
    return value


def window(from_key: str, to_key: str, from_date: date, to_date: date) -> dict[str, str]:
    """Query parameters for an inclusive ``[from_date, to_date]`` window (ISO dates)."""
    start = check_date(from_key, from_date)
    end = check_date(to_key, to_date)
    if end < start:
        raise RequestValidationError(to_key, end, f"must not be before {from_key}={start}")
    return {from_key: start.isoformat(), to_key: end.isoformat()}


def positive_int(field: str, value: object) -> int:
    """Return ``value`` if it is a positive ``int`` (``bool`` excluded), else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RequestValidationError(field, value, "must be a positive integer")
    return value


def require_model(field: str, value: object, cls: type) -> None:
    """Raise a clear error when a caller passes a dict or the wrong model type."""
    if not isinstance(value, cls):
        raise RequestValidationError(
            field, type(value).__name__, f"must be a {cls.__name__} instance"
        )
