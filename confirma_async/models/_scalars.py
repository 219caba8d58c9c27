"""Scalar hooks of the converter: money, integers, strings, flags, dates, enums and lists.

``Decimal`` amounts are written with exactly two decimals (``12.50``, still a ``Decimal``, which
``_core.json.dumps`` writes digit for digit); dates are ``YYYY-MM-DD``; datetimes are written in UTC
with milliseconds and ``Z`` and read with or without milliseconds, ``Z`` or an offset (a naive
timestamp from the server is taken as UTC). Decoding is strict about JSON types but lenient where
the API is inconsistent: an integer is accepted where a string id is expected, a string of ASCII
digits where an integer is, and a datetime where a date is. A date is always exactly ``YYYY-MM-DD``
and digits are always ASCII.

A converter registered with ``strict=True`` (decoding what a user sends, see ``_convert``) accepts
only the documented JSON types: integers as JSON integers, amounts as JSON numbers (``int`` or
``Decimal``, never ``float`` or a string), dates as ``YYYY-MM-DD``, datetimes in the extended ISO
8601 format with an offset or ``Z``, strings as strings, booleans as booleans (a 0/1 flag as 0 or
1). Both sets of hooks share their code: ``strict`` is fixed when a hook is made, so the common
path costs the same in both.
"""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import cattrs
from cattrs.cols import is_mutable_sequence, list_structure_factory

from ..errors import RequestValidationError

__all__ = [
    "DATE_PATTERN",
    "MAX_AMOUNT_DIGITS",
    "WrongInput",
    "flag_hook",
    "int_flag",
    "register_scalars",
    "type_error",
]

_CENTS = Decimal("0.01")
# Wide enough that quantizing any valid amount never rounds its integer digits or raises.
_MONEY_CONTEXT = decimal.Context(prec=100)
MAX_AMOUNT_DIGITS = _MONEY_CONTEXT.prec - 2
"""The most digits an amount may have before the point (two more follow it when written)."""

DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""The one shape of a date on the wire: ``YYYY-MM-DD`` in ASCII digits."""
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class WrongInput(TypeError):
    """A value of another JSON type or shape than its field takes; ``value`` is that value."""

    def __init__(self, expected: str, value: Any) -> None:
        self.expected = expected
        self.value = value
        super().__init__(f"expected {expected}, got {type(value).__name__} {value!r}")

    @property
    def reason(self) -> str:
        """What was expected and the JSON type that came (without the value itself)."""
        return f"must be {self.expected}, not {type(self.value).__name__}"


def type_error(expected: str, value: Any) -> WrongInput:
    """A :class:`WrongInput` (a ``TypeError``) saying what was expected and what came."""
    return WrongInput(expected, value)


Hook = Callable[[Any, Any], Any]
_parse_date = date.fromisoformat


def _decimal_hook(strict: bool) -> Hook:
    def structure(value: Any, _: Any) -> Decimal:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise type_error("a finite number", value)
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        if strict or isinstance(value, bool):
            raise type_error("a JSON number (an integer or a Decimal, never a float)", value)
        # Responses are parsed with parse_float=Decimal; a float only comes from other callers.
        if isinstance(value, float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
            return structure(Decimal(str(value)), _)
        raise type_error("a number", value)

    return structure


def _unstructure_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():  # quantize would keep a NaN, which JSON cannot hold
        raise ValueError(f"{value} is not a JSON number")
    return value.quantize(_CENTS, context=_MONEY_CONTEXT)


def _int_hook(strict: bool) -> Hook:
    def structure(value: Any, _: Any) -> int:
        if type(value) is int:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        if strict or isinstance(value, bool):
            raise type_error("a JSON integer", value)
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            return int(value)
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        raise type_error("an integer", value)

    return structure


def _str_hook(strict: bool) -> Hook:
    def structure(value: Any, _: Any) -> str:
        if type(value) is str:
            return value
        if isinstance(value, str):
            return str(value)
        if isinstance(value, int) and not isinstance(value, bool) and not strict:
            return str(value)  # ids are numbers on some endpoints and strings on others
        raise type_error("a string", value)

    return structure


def _bool_hook(strict: bool) -> Hook:
    def structure(value: Any, _: Any) -> bool:
        if isinstance(value, bool):
            return value
        if type(value) is int and value in (0, 1) and not strict:
            return bool(value)
        raise type_error("a boolean", value)

    return structure


def flag_hook(strict: bool) -> Hook:
    """Structure hook of a 0/1 integer flag (a JSON boolean also accepted unless ``strict``)."""

    def structure(value: Any, _: Any) -> bool:
        if type(value) is int and value in (0, 1):
            return bool(value)
        if isinstance(value, bool) and not strict:
            return value
        raise type_error("0 or 1", value)

    return structure


def _date_hook(strict: bool) -> Hook:
    as_datetime = _datetime_hook(strict)

    def structure(value: Any, _: Any) -> date:
        # Of the 10-character forms fromisoformat reads (ASCII digits only), YYYY-MM-DD alone has a
        # dash at [7] (not 2026-W01-1): the shape DATE_PATTERN says, which the tests hold this to.
        if type(value) is str and len(value) == 10 and value[7] == "-":
            try:
                return _parse_date(value)
            except ValueError:
                pass  # not a calendar date
        elif isinstance(value, str) and len(value) > 10 and not strict:
            moment: date = as_datetime(value, None).date()
            return moment
        raise type_error("a date YYYY-MM-DD", value)

    return structure


def _datetime_hook(strict: bool) -> Hook:
    def structure(value: Any, _: Any) -> datetime:
        if not isinstance(value, str):
            raise type_error("a datetime string", value)
        if strict and _DATETIME.fullmatch(value) is None:
            raise type_error(
                "an ISO 8601 datetime with an offset or Z (YYYY-MM-DDTHH:MM:SSZ)", value
            )
        try:
            result = datetime.fromisoformat(value)
        except ValueError:
            raise type_error("an ISO 8601 datetime", value) from None
        return result if result.tzinfo is not None else result.replace(tzinfo=UTC)

    return structure


def _unstructure_datetime(value: datetime) -> str:
    if value.utcoffset() is None:
        raise RequestValidationError("datetime", value, "datetime must be timezone-aware")
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text[:-6] + "Z"  # "+00:00" -> "Z"


def _is_enum(cl: Any) -> bool:
    return isinstance(cl, type) and issubclass(cl, enum.Enum)


def _unstructure_enum(_: Any) -> Callable[[enum.Enum], Any]:
    return _enum_value


def _structure_enum(cl: Any) -> Callable[[Any, Any], enum.Enum]:
    def structure(value: Any, _: Any) -> enum.Enum:
        if isinstance(value, bool):  # True == 1 would otherwise pick an int member
            raise type_error(f"a {cl.__name__} value", value)
        try:
            member: enum.Enum = cl(value)  # open enums turn unknown values into pseudo-members
        except ValueError:
            raise type_error(f"a {cl.__name__} value", value) from None
        return member

    return structure


def _enum_value(member: enum.Enum | str | int) -> Any:
    # The raw str/int, also for pseudo-members; a plain str/int given for an enum passes as is.
    return getattr(member, "_value_", member)


def int_flag(value: bool) -> int:
    """Write a ``bool`` as the 0/1 integer flag some fields use on the wire."""
    return 1 if value else 0


def _exactly(cl: type[Any]) -> Callable[[Any], bool]:
    # A plain register_structure_hook(int, ...) would also catch IntEnum/StrEnum subclasses.
    return lambda t: t is cl


@cache
def _enum_structurer(cl: Any) -> Callable[[Any, Any], enum.Enum]:
    return _structure_enum(cl)


def _strict_primitive(cl: type[Any], hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # cattrs keeps int/str/bool in its singledispatch table, which beats predicate hooks, so these
    # are registered there; str/int enums also land here (by MRO) and are sent to the enum hook.
    def structure(value: Any, t: Any) -> Any:
        if t is not cl and _is_enum(t):
            return _enum_structurer(t)(value, t)
        return hook(value, t)

    return structure


def register_scalars(conv: cattrs.Converter, *, strict: bool = False) -> None:
    """Register every scalar, enum and list hook on ``conv`` (the strict ones if ``strict``)."""

    def structure_list(cl: Any) -> Callable[[Any, Any], list[Any]]:
        inner = list_structure_factory(cl, conv)

        def structure(value: Any, _: Any) -> list[Any]:
            if not isinstance(value, list | tuple):
                raise type_error("a JSON array", value)
            result: list[Any] = inner(value, cl)
            return result

        return structure

    for _cl, _hook in (
        (Decimal, _decimal_hook),
        (date, _date_hook),
        (datetime, _datetime_hook),
    ):
        conv.register_structure_hook_func(_exactly(_cl), _hook(strict))
    for _primitive, _hook in ((int, _int_hook), (str, _str_hook), (bool, _bool_hook)):
        conv.register_structure_hook(_primitive, _strict_primitive(_primitive, _hook(strict)))
    conv.register_unstructure_hook(Decimal, _unstructure_decimal)
    conv.register_unstructure_hook_func(_exactly(date), date.isoformat)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_unstructure_hook_factory(_is_enum, _unstructure_enum)
    # str/int enums would otherwise hit the str/int pass-through, which keeps the enum type.
    conv.register_unstructure_hook(enum.StrEnum, _enum_value)
    conv.register_unstructure_hook(enum.IntEnum, _enum_value)
    conv.register_structure_hook_factory(_is_enum, _structure_enum)
    conv.register_structure_hook_factory(is_mutable_sequence, structure_list)
