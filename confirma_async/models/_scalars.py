"""Scalar hooks of the converter: money, integers, strings, flags, dates, enums and lists.

``Decimal`` amounts are written with exactly two decimals (``12.50``, still a ``Decimal``, which
``_core.json.dumps`` writes digit for digit); dates are ``YYYY-MM-DD``; datetimes are written in UTC
with milliseconds and ``Z`` and read with or without milliseconds, ``Z`` or an offset (a naive
timestamp from the server is taken as UTC). Decoding is strict about JSON types but lenient where
the API is inconsistent: an integer is accepted where a string id is expected and a string of
digits where an integer is.
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import cattrs
from cattrs.cols import is_mutable_sequence, list_structure_factory

from ..errors import RequestValidationError

__all__ = ["int_flag", "register_scalars", "structure_bool", "type_error"]

_CENTS = Decimal("0.01")
# Wide enough that quantizing any amount never rounds its integer digits or raises.
_MONEY_CONTEXT = decimal.Context(prec=100)


def type_error(expected: str, value: Any) -> TypeError:
    """A ``TypeError`` saying what was expected and what came."""
    return TypeError(f"expected {expected}, got {type(value).__name__} {value!r}")


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, bool):
        raise type_error("a number", value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float | str):
        # Responses are parsed with parse_float=Decimal; a float only comes from other callers.
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise type_error("a number", value) from None
    else:
        raise type_error("a number", value)
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _unstructure_decimal(value: Decimal) -> Decimal:
    return value.quantize(_CENTS, context=_MONEY_CONTEXT)


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise type_error("an integer", value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise type_error("an integer", value)


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ids are numbers on some endpoints and strings on others
    if isinstance(value, str):
        return str(value)
    raise type_error("a string", value)


def structure_bool(value: Any, _: Any) -> bool:
    """Structure a JSON boolean (``0``/``1`` accepted, for 0/1 flags)."""
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise type_error("a boolean", value)


def _structure_date(value: Any, _: Any) -> date:
    if not isinstance(value, str):
        raise type_error("a date string", value)
    if len(value) > 10:
        return _structure_datetime(value, None).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _structure_datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise type_error("a datetime string", value)
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 datetime, got {value!r}") from None
    return result if result.tzinfo is not None else result.replace(tzinfo=UTC)


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
        member: enum.Enum = cl(value)  # open enums turn unknown values into pseudo-members
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


def register_scalars(conv: cattrs.Converter) -> None:
    """Register every scalar, enum and list hook on ``conv``."""

    def structure_list(cl: Any) -> Callable[[Any, Any], list[Any]]:
        inner = list_structure_factory(cl, conv)

        def structure(value: Any, _: Any) -> list[Any]:
            if not isinstance(value, list | tuple):
                raise type_error("a JSON array", value)
            result: list[Any] = inner(value, cl)
            return result

        return structure

    for _cl, _structure in (
        (Decimal, _structure_decimal),
        (date, _structure_date),
        (datetime, _structure_datetime),
    ):
        conv.register_structure_hook_func(_exactly(_cl), _structure)
    _PRIMITIVES: tuple[tuple[type[Any], Callable[[Any, Any], Any]], ...] = (
        (int, _structure_int),
        (str, _structure_str),
        (bool, structure_bool),
    )
    for _primitive, _hook in _PRIMITIVES:
        conv.register_structure_hook(_primitive, _strict_primitive(_primitive, _hook))
    conv.register_unstructure_hook(Decimal, _unstructure_decimal)
    conv.register_unstructure_hook_func(_exactly(date), date.isoformat)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_unstructure_hook_factory(_is_enum, _unstructure_enum)
    # str/int enums would otherwise hit the str/int pass-through, which keeps the enum type.
    conv.register_unstructure_hook(enum.StrEnum, _enum_value)
    conv.register_unstructure_hook(enum.IntEnum, _enum_value)
    conv.register_structure_hook_factory(_is_enum, _structure_enum)
    conv.register_structure_hook_factory(is_mutable_sequence, structure_list)
