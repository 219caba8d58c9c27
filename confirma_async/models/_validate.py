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
Every string field of a request (open-enum values too; not ``extra``, which is sent as given) is
checked by :func:`text`: no control characters (tab, CR and LF only in fields marked
``free_text()``) and no bidirectional override or isolate characters. A model may add whole-object
rules in a ``_check_request(self, path)`` method. :func:`is_request_class` tells the request models
and their parts from the rest: they are what users send, and are decoded strictly.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import attrs

from ..errors import RequestValidationError
from ._fields import FREE_TEXT, NULLABLE, RULES, Check, wire_name
from ._iso_codes import COUNTRY_CODES, CURRENCY_CODES, LANGUAGE_CODES
from ._scalars import MAX_AMOUNT_DIGITS

__all__ = [
    "amount",
    "aware_datetime",
    "country_code",
    "currency_code",
    "email",
    "is_request_class",
    "iso_date",
    "language_code",
    "max_length",
    "non_empty",
    "positive_int",
    "text",
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
# C0 and C1 controls (DEL too), bidi overrides/isolates, lone surrogates (not encodable as UTF-8).
_BIDI = r"\u202a-\u202e\u2066-\u2069"
_NOT_TEXT = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
_NOT_FREE_TEXT = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")


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
    """Check for a finite ``Decimal``, at most 2 decimal places and 98 digits before the point.

    Never a float. 98 digits is what writing the amount with two decimals can hold exactly.
    """
    if not isinstance(value, Decimal):
        raise _fail(path, value, f"amount must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise _fail(path, value, "amount must be finite")
    if _decimal_places(value) > 2:
        raise _fail(path, value, "amount has more than 2 decimal places")
    if value and value.adjusted() >= MAX_AMOUNT_DIGITS:
        raise _fail(
            path, value, f"amount has more than {MAX_AMOUNT_DIGITS} digits before the point"
        )


def _decimal_places(value: Decimal) -> int:
    """Count decimal places ignoring trailing zeros, exactly (``normalize`` would round)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0 or not any(digits):
        return 0  # an integer, or zero however written (0.0000)
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


def text(path: str, value: str, *, free: bool = False) -> None:
    """Check a request string for characters never to be sent; ``free`` allows tab, CR and LF.

    Refused: C0/C1 control characters, the bidirectional override and isolate characters
    (U+202A-U+202E, U+2066-U+2069) and lone surrogates. The message shows them escaped.
    """
    found = (_NOT_FREE_TEXT if free else _NOT_TEXT).search(value)
    if found is None:
        return
    char = found.group()
    seen = f"{char!r}, U+{ord(char):04X}, at index {found.start()}"
    if "\u202a" <= char <= "\u2069":
        reason = f"contains a bidirectional override or isolate character ({seen})"
    elif char >= "\ud800":
        reason = f"contains a lone surrogate ({seen})"
    elif not free and char in "\t\n\r":
        reason = f"contains a control character ({seen}); this field is a single line"
    else:
        reason = f"contains a control character ({seen})"
    # An open-enum value's repr would show its name, the raw value: report the plain string.
    raise _fail(path, str.__str__(value), reason)


def non_empty(path: str, value: Any) -> None:
    """Check for a non-empty list."""
    if not value:
        raise _fail(path, value, "must not be empty")


_Plan = tuple[tuple[str, str, tuple[Check, ...], bool, str | None, bool], ...]
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
                bool(f.metadata.get(FREE_TEXT)),
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
    for name, wire, checks, nullable, kind, free in fields:
        value = getattr(model, name)
        if value is None and nullable:
            continue
        if isinstance(value, str):
            text(prefix + wire, value, free=free)
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
    elif isinstance(value, str):
        text(path, value)


def is_request_class(cls: Any) -> bool:
    """True for a request model (one that validates itself when built) or a model nested in one."""
    return cls in _request_classes()


@cache
def _request_classes() -> frozenset[Any]:
    package = sys.modules[__name__.rpartition(".")[0]]  # loaded by now
    exported = [getattr(package, name) for name in package.__all__]
    found: set[Any] = set()
    todo = [c for c in exported if attrs.has(c) and "__attrs_post_init__" in c.__dict__]
    while todo:
        model = todo.pop()
        if model not in found:
            found.add(model)
            todo.extend(_models_in(list(typing.get_type_hints(model).values())))
    return frozenset(found)


def _models_in(hints: list[Any]) -> list[type[Any]]:
    """The attrs classes named in ``hints``, also inside ``X | None`` and ``list[X]``."""
    out: list[type[Any]] = []
    for hint in hints:
        if isinstance(hint, type) and attrs.has(hint):
            out.append(hint)
        out.extend(_models_in(list(typing.get_args(hint))))
    return out
