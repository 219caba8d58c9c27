"""The sandbox's own validation of raw JSON, independent of the client's models.

The sandbox never builds a client model from a request: it checks the decoded JSON itself, so a bug
in the client's encoding (a float amount, a string invoice number, a bad date) reaches this code and
is answered with 400 like the real API would. :class:`Check` walks an object, records every problem
as
``(wire path, message)`` and raises one A3 ``VALIDATION_ERROR`` with all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ._codes import COUNTRIES, CURRENCIES, LANGUAGES
from ._http import validation_error

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# W3C (HTML5) e-mail pattern.
_EMAIL = re.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
_WEBSITE = re.compile(r"(?i)(https?://)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?(/\S*)?")
_POSTAL = {
    "FI": re.compile(r"\d{5}"),
    "SE": re.compile(r"\d{3} ?\d{2}"),
    "NO": re.compile(r"\d{4}"),
}
_POSTAL_ANY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{1,9}")
_CENT = Decimal("0.01")
_MISSING = object()

AMOUNT_DIGITS = 13
"""Most digits before the decimal point of an amount the sandbox accepts.

A25 types amounts as ``number<double>``, which keeps 15 significant digits: enough for every
amount up to ``9999999999999.99`` to the cent, while larger ones may lose cents. The bound also
keeps the sandbox's own cent arithmetic (balances, settlement sums) far inside ``Decimal``'s
28-digit default context, so a huge amount (``1E+99``, 40 digits) is a 400 naming its field rather
than an ``InvalidOperation``.
"""
_AMOUNT_MAX = Decimal(10**AMOUNT_DIGITS) - _CENT
_AMOUNT_MIN = -_AMOUNT_MAX
_AMOUNT_LIMIT = 10**AMOUNT_DIGITS  # integers: |value| < limit
_AMOUNT_RANGE = f"must be between {_AMOUNT_MIN} and {_AMOUNT_MAX}"


def parse_date(text: str) -> date | None:
    """Parse a strict ``YYYY-MM-DD`` date, or return ``None``."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def amount_error(value: object) -> str | None:
    """Why ``value`` is not a money amount, or ``None`` when it is one.

    An amount is a finite JSON number (``bool`` is none) with at most two decimals and at most
    :data:`AMOUNT_DIGITS` digits before the point. The range is checked first: comparisons are
    exact, whereas quantising a huge value to cents overflows the decimal context.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "must be a finite number"
        if not _AMOUNT_MIN <= value <= _AMOUNT_MAX:
            return _AMOUNT_RANGE
        return None if value == value.quantize(_CENT) else "must have at most 2 decimals"
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a number with at most 2 decimals"
    return None if -_AMOUNT_LIMIT < value < _AMOUNT_LIMIT else _AMOUNT_RANGE


class Check:
    """Collects field errors while reading a decoded JSON document."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        """Record one field error."""
        self.errors.append((path, message))

    def done(self) -> None:
        """Raise a 400 ``VALIDATION_ERROR`` if anything failed."""
        if self.errors:
            raise validation_error(self.errors)

    def _get(self, parent: Mapping[str, Any], key: str, path: str, required: bool) -> Any:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path, "is required")
            return _MISSING
        return value

    def obj(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> Mapping[str, Any] | None:
        """Read a nested JSON object."""
        value = self._get(parent, key, path, required)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return None
        return value

    def array(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> list[Any] | None:
        """Read a JSON array."""
        value = self._get(parent, key, path, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.fail(path, "must be an array")
            return None
        return value

    def string(
        self,
        parent: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        max_len: int | None = None,
    ) -> str | None:
        """Read a string; a required string must not be empty."""
        value = self._get(parent, key, path, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return None
        if required and not value.strip():
            self.fail(path, "must not be empty")
            return None
        if max_len is not None and len(value) > max_len:
            self.fail(path, f"must be at most {max_len} characters")
            return None
        return value

    def integer(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> int | None:
        """Read a positive JSON integer (not a string, float or boolean)."""
        value = self._get(parent, key, path, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be an integer")
            return None
        if value <= 0 or value >= 2**63:
            self.fail(path, "must be a positive 64-bit integer")
            return None
        return value

    def boolean(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> bool | None:
        """Read a JSON boolean."""
        value = self._get(parent, key, path, required)
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            self.fail(path, "must be a boolean")
            return None
        return value

    def flag(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        """Read a 0/1 integer flag (``isVatRow``)."""
        value = self._get(parent, key, path, False)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or value not in (0, 1):
            self.fail(path, "must be 0 or 1")
            return None
        return int(value)

    def amount(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> Decimal | None:
        """Read a money amount (a JSON number with at most two decimals, see ``amount_error``)."""
        value = self._get(parent, key, path, required)
        if value is _MISSING:
            return None
        problem = amount_error(value)
        if problem is not None:
            self.fail(path, problem)
            return None
        return Decimal(value)

    def number(self, parent: Mapping[str, Any], key: str, path: str) -> Decimal | None:
        """Read any finite JSON number (a percentage)."""
        value = self._get(parent, key, path, False)
        if value is _MISSING:
            return None
        finite = isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite())
        if isinstance(value, bool) or not finite:
            self.fail(path, "must be a number")
            return None
        return Decimal(value)

    def date(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> date | None:
        """Read an ISO 8601 ``YYYY-MM-DD`` date."""
        text = self.string(parent, key, path, required=required)
        if text is None:
            return None
        parsed = parse_date(text)
        if parsed is None:
            self.fail(path, "must be a date in YYYY-MM-DD format")
        return parsed

    def _coded(
        self, parent: Mapping[str, Any], key: str, path: str, required: bool, codes: frozenset[str]
    ) -> str | None:
        text = self.string(parent, key, path, required=required)
        if text is None:
            return None
        if text.upper() not in codes or (codes is not LANGUAGES and text != text.upper()):
            self.fail(path, f"{text!r} is not a valid code")
            return None
        return text

    def currency(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str | None:
        """Read an ISO 4217 currency code (three upper-case letters from the list)."""
        return self._coded(parent, key, path, required, CURRENCIES)

    def country(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str | None:
        """Read an ISO 3166-1 alpha-2 country code (upper case)."""
        return self._coded(parent, key, path, required, COUNTRIES)

    def language(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        """Read an ISO 639-1 language code (any case; ``DK`` accepted)."""
        return self._coded(parent, key, path, False, LANGUAGES)

    def email(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str | None:
        """Read an e-mail address (W3C pattern); an empty optional string is allowed."""
        text = self.string(parent, key, path, required=required)
        if text and not _EMAIL.fullmatch(text):
            self.fail(path, "must be a valid e-mail address")
            return None
        return text

    def website(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        """Read a website URL; an empty string is allowed."""
        text = self.string(parent, key, path)
        if text and not _WEBSITE.fullmatch(text):
            self.fail(path, "must be a valid website address")
            return None
        return text

    def postal_code(
        self, parent: Mapping[str, Any], key: str, path: str, country: str | None
    ) -> str | None:
        """Read a postal code, checked against the address country where we know its format."""
        text = self.string(parent, key, path)
        if not text:
            return text
        pattern = _POSTAL.get(country or "", _POSTAL_ANY)
        if not pattern.fullmatch(text):
            self.fail(path, f"is not a valid postal code for {country or 'the country'}")
            return None
        return text
