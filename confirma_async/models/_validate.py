"""Client-side checks of the documented request rules.

How paths work (one rule, used everywhere): checks are declared on request-model fields with
``attrs.field(metadata=rules(...))`` and are run by :func:`validate_request`, which walks a model
tree and reports the **full wire path** from the model it was given
(``invoice.header.currencyCode``, ``contacts[1].email``, ``ledgers.ledgerRows[2].amount``). The
top-level request models
(``NewClientRequest``, ``InvoiceRequest``, ``ActionsRequest``, ``LedgerSubmission``,
``AccountingPaymentsSubmission``) call it from ``__attrs_post_init__``, so constructing one with bad
input raises :class:`~confirma_async.errors.RequestValidationError` before anything is sent. The
parts of a request (``InvoiceHeader``, ``Contact``…) do not validate themselves when built, because
only the top-level request knows where they sit; call ``validate_request(part)`` to check one early
(its paths are then relative to the part). Every ``datetime`` anywhere in a request must be aware.
A model may add whole-object rules in a ``_check_request(self, path)`` method.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from ..errors import RequestValidationError
from ._fields import NULLABLE, RULES, Check, wire_name
from ._iso_codes import COUNTRY_CODES, CURRENCY_CODES, LANGUAGE_CODES

__all__ = [
    "amount",
    "aware_datetime",
    "country_code",
    "currency_code",
    "email",
    "iso_date",
    "language_code",
    "max_length",
    "non_empty",
    "positive_int",
    "validate_request",
    "website",
]

# The WHATWG/W3C "valid e-mail address" pattern (HTML input type=email).
_EMAIL = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
_URL = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#]\S*)?", re.IGNORECASE)
# The portal's own example sends DK for Danish (ISO 639-1 "da"), so we accept it too.
_LANGUAGE_EXTRA = frozenset({"dk"})


def _fail(path: str, value: object, reason: str) -> RequestValidationError:
    return RequestValidationError(path, value, reason)


def currency_code(path: str, value: Any) -> None:
    """Check for an ISO 4217 currency code, upper case (``EUR``)."""
    if not isinstance(value, str) or value not in CURRENCY_CODES:
        raise _fail(path, value, "not an ISO 4217 currency code")


def country_code(path: str, value: Any) -> None:
    """Check for an ISO 3166-1 alpha-2 country code, upper case (``FI``)."""
    if not isinstance(value, str) or value not in COUNTRY_CODES:
        raise _fail(path, value, "not an ISO 3166-1 alpha-2 country code")


def language_code(path: str, value: Any) -> None:
    """Check for an ISO 639-1 language code, any case (``fi``; ``DK`` as the portal uses)."""
    if not isinstance(value, str) or (
        value.lower() not in LANGUAGE_CODES and value.lower() not in _LANGUAGE_EXTRA
    ):
        raise _fail(path, value, "not an ISO 639-1 language code")


def amount(path: str, value: Any) -> None:
    """Check for a finite ``Decimal`` with at most 2 decimal places (never a float)."""
    if not isinstance(value, Decimal):
        raise _fail(path, value, f"amount must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise _fail(path, value, "amount must be finite")
    if _decimal_places(value) > 2:
        raise _fail(path, value, "amount has more than 2 decimal places")


def _decimal_places(value: Decimal) -> int:
    """Count decimal places ignoring trailing zeros, exactly (``normalize`` would round)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing)


def email(path: str, value: Any) -> None:
    """Check for an e-mail address matching the W3C pattern."""
    if not isinstance(value, str) or _EMAIL.fullmatch(value) is None:
        raise _fail(path, value, "not a valid e-mail address")


def website(path: str, value: Any) -> None:
    """Check for a web address (``example.fi``, ``https://x.fi/y``) or the empty string."""
    if not isinstance(value, str) or (value and _URL.fullmatch(value) is None):
        raise _fail(path, value, "not a valid web address")


def max_length(limit: int) -> Check:
    """Return a check for a string of at most ``limit`` characters."""

    def check(path: str, value: Any) -> None:
        if not isinstance(value, str):
            raise _fail(path, value, "must be a string")
        if len(value) > limit:
            raise _fail(path, value, f"longer than {limit} characters ({len(value)})")

    return check


def aware_datetime(path: str, value: Any) -> None:
    """Check for a timezone-aware ``datetime`` (naive ones are ambiguous)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _fail(path, value, "datetime must be timezone-aware")


def iso_date(path: str, value: Any) -> None:
    """Check for a calendar ``date`` (``YYYY-MM-DD``); a ``datetime`` is refused."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _fail(path, value, "must be a date (YYYY-MM-DD)")


def positive_int(path: str, value: Any) -> None:
    """Check for a positive integer (``bool`` is not an integer here)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _fail(path, value, "must be a positive integer")


def non_empty(path: str, value: Any) -> None:
    """Check for a non-empty list."""
    if not value:
        raise _fail(path, value, "must not be empty")


_Plan = tuple[tuple[str, str, tuple[Check, ...], bool, str | None], ...]
_PLANS: dict[type[Any], tuple[_Plan, bool]] = {}


def _kind(hint: Any) -> str | None:
    """Say how to descend into a field of this type: nested model, list, datetime or not at all."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        kinds = {_kind(arg) for arg in typing.get_args(hint)} - {None}
        return kinds.pop() if len(kinds) == 1 else ("any" if kinds else None)
    if origin in (list, tuple) or hint in (list, tuple):
        return "list"
    if hint is datetime:
        return "datetime"
    if isinstance(hint, type) and attrs.has(hint):
        return "model"
    return "any" if hint is Any else None


def _plan(cls: type[Any]) -> tuple[_Plan, bool]:
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        fields = tuple(
            (
                f.name,
                wire_name(f),
                tuple(f.metadata.get(RULES, ())),
                bool(f.metadata.get(NULLABLE)),
                _kind(hints[f.name]),
            )
            for f in attrs.fields(cls)
            if f.name != "extra"
        )
        plan = _PLANS[cls] = (fields, hasattr(cls, "_check_request"))
    return plan


def validate_request(model: Any, path: str = "") -> None:
    """Check ``model`` and everything nested in it; raise on the first broken rule.

    ``path`` is the wire path of ``model`` itself (empty for a top-level request).
    """
    prefix = f"{path}." if path else ""
    fields, own_check = _plan(type(model))
    for name, wire, checks, nullable, kind in fields:
        value = getattr(model, name)
        if value is None and nullable:
            continue
        if checks:
            for check in checks:
                check(prefix + wire, value)
        if kind is not None and value is not None:
            _walk(value, prefix + wire)
    if own_check:
        model._check_request(path)


def _walk(value: Any, path: str) -> None:
    if isinstance(value, datetime):
        aware_datetime(path, value)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]")
    elif attrs.has(type(value)):
        validate_request(value, path)
