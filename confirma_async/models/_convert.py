"""The one cattrs converter: wire JSON <-> typed models.

Wire names are the camelCase of the Python names unless a field says otherwise (see ``_fields``).
Per model class the structure and unstructure functions are generated once (cattrs ``make_dict_*``)
and wrapped to handle ``extra``:

* decoding keeps every key the model does not know in ``extra`` (forward compatibility);
* encoding merges ``extra`` into the JSON object at the same level, after the documented fields, so
  an ``extra`` key also overrides a documented one (an escape hatch when the live API differs).

Scalars: ``Decimal`` amounts are written with exactly two decimals (``12.50``, still a
``Decimal``, which ``_json.dumps`` writes digit for digit); dates are ``YYYY-MM-DD``; datetimes are
written in UTC with milliseconds and ``Z`` and read with or without milliseconds, ``Z`` or an
offset (a naive timestamp from the server is taken as UTC). Decoding is strict about JSON types but
lenient where the API is inconsistent: an integer is accepted where a string id is expected and a
string of digits where an integer is.
"""

from __future__ import annotations

import decimal
import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import is_mutable_sequence, list_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ..errors import RequestValidationError, ResponseDecodeError
from ._aliases import _ACTIVE, WireAliases
from ._fields import WIRE_ALIASES, WIRE_OMIT_NONE, WIRE_TYPE, guess_of, is_wire_field, wire_name

__all__ = ["converter", "from_wire", "to_wire"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=True)

_CENTS = Decimal("0.01")
# Wide enough that quantizing any amount never rounds its integer digits or raises.
_MONEY_CONTEXT = decimal.Context(prec=100)


def _type_error(expected: str, value: Any) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__} {value!r}")


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, bool):
        raise _type_error("a number", value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float | str):
        # Responses are parsed with parse_float=Decimal; a float only comes from other callers.
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise _type_error("a number", value) from None
    else:
        raise _type_error("a number", value)
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _unstructure_decimal(value: Decimal) -> Decimal:
    return value.quantize(_CENTS, context=_MONEY_CONTEXT)


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise _type_error("an integer", value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _type_error("an integer", value)


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ids are numbers on some endpoints and strings on others
    if isinstance(value, str):
        return str(value)
    raise _type_error("a string", value)


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise _type_error("a boolean", value)


def _structure_date(value: Any, _: Any) -> date:
    if not isinstance(value, str):
        raise _type_error("a date string", value)
    if len(value) > 10:
        return _structure_datetime(value, None).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _structure_datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise _type_error("a datetime string", value)
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


def _structure_list(cl: Any) -> Callable[[Any, Any], list[Any]]:
    inner = list_structure_factory(cl, converter)

    def structure(value: Any, _: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise _type_error("a JSON array", value)
        result: list[Any] = inner(value, cl)
        return result

    return structure


def _is_enum(cl: Any) -> bool:
    return isinstance(cl, type) and issubclass(cl, enum.Enum)


def _unstructure_enum(_: Any) -> Callable[[enum.Enum], Any]:
    return _enum_value


def _structure_enum(cl: Any) -> Callable[[Any, Any], enum.Enum]:
    def structure(value: Any, _: Any) -> enum.Enum:
        if isinstance(value, bool):  # True == 1 would otherwise pick an int member
            raise _type_error(f"a {cl.__name__} value", value)
        member: enum.Enum = cl(value)  # open enums turn unknown values into pseudo-members
        return member

    return structure


def _enum_value(member: enum.Enum | str | int) -> Any:
    # The raw str/int, also for pseudo-members; a plain str/int given for an enum passes as is.
    return getattr(member, "_value_", member)


def _int_flag(value: bool) -> int:
    return 1 if value else 0


class _Bad:
    """A guessed field's value of another type: the field keeps its default, ``extra`` the value."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _lenient(hint: Any) -> Callable[[Any, Any], Any]:
    """Structure hook of a guessed field: its type if the value fits, else a :class:`_Bad`."""
    args = typing.get_args(hint)
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args
    rest = [a for a in args if a is not type(None)]
    target = rest[0] if optional and len(rest) == 1 else hint
    hook: Callable[[Any, Any], Any] | None = None  # resolved at first use (models nest)

    def structure(value: Any, _: Any) -> Any:
        nonlocal hook
        if value is None:
            return None
        if hook is None:
            hook = converter.get_structure_hook(target)
        try:
            return hook(value, target)
        except Exception:
            return _Bad(value)

    return structure


def _default(field: attrs.Attribute[Any]) -> Any:
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()
    return default


def _structure_model(cl: type[Any]) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cl)
    overrides: dict[str, Any] = {}
    known: set[str] = set()
    aliases: list[tuple[str, str]] = []
    guessed: list[tuple[attrs.Attribute[Any], str]] = []
    for f in attrs.fields(cl):
        if not is_wire_field(f):
            overrides[f.name] = override(omit=True)
            continue
        name = wire_name(f)
        known.add(name)
        hook: Callable[[Any, Any], Any] | None = None
        if f.metadata.get(WIRE_TYPE) == "int_flag":
            hook = _structure_bool
        if guess_of(f) is not None:
            if f.default is attrs.NOTHING:
                raise TypeError(f"guessed field {cl.__name__}.{f.name} needs a default")
            hook = _lenient(f.type)
            guessed.append((f, name))
        overrides[f.name] = override(rename=name, struct_hook=hook)
        for alias in f.metadata.get(WIRE_ALIASES, ()):
            known.add(alias)
            aliases.append((alias, name))
    generated = make_dict_structure_fn(
        cl,
        converter,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=True,
        **overrides,
    )
    known_keys = frozenset(known)
    has_extra = "extra" in attrs.fields_dict(cl)

    def structure(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise _type_error("a JSON object", data)
        for alias, name in aliases:
            if name not in data and alias in data:
                data = {**data, name: data[alias]}
        active = _ACTIVE.get()
        used: set[str] = set()
        if active is not None:
            for alias, name in active.pairs(cl):
                if name not in data and alias in data:
                    data = {**data, name: data[alias]}
                    used.add(alias)
        obj = generated(data, cl)
        extra: dict[str, Any] | None = None
        if has_extra and not data.keys() <= known_keys:
            extra = {k: v for k, v in data.items() if k not in known_keys and k not in used}
        for field, name in guessed:
            value = getattr(obj, field.name)
            if type(value) is _Bad:
                object.__setattr__(obj, field.name, _default(field))
                if has_extra:
                    extra = {} if extra is None else extra
                    extra[name] = value.value
        if extra:
            object.__setattr__(obj, "extra", extra)
        return obj

    return structure


def _unstructure_model(cl: type[Any]) -> Callable[[Any], dict[str, Any]]:
    overrides: dict[str, Any] = {}
    for f in attrs.fields(cl):
        if not is_wire_field(f):
            overrides[f.name] = override(omit=True)
        elif f.metadata.get(WIRE_TYPE) == "int_flag":
            overrides[f.name] = override(rename=wire_name(f), unstruct_hook=_int_flag)
        else:
            omit = bool(f.metadata.get(WIRE_OMIT_NONE))
            overrides[f.name] = override(rename=wire_name(f), omit_if_default=omit)
    generated = make_dict_unstructure_fn(cl, converter, _cattrs_omit_if_default=False, **overrides)

    def unstructure(obj: Any) -> dict[str, Any]:
        result: dict[str, Any] = generated(obj)
        extra = obj.extra
        if extra:
            result.update(extra)
        return result

    return unstructure


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


for _cl, _structure in (
    (Decimal, _structure_decimal),
    (date, _structure_date),
    (datetime, _structure_datetime),
):
    converter.register_structure_hook_func(_exactly(_cl), _structure)
_PRIMITIVES: tuple[tuple[type[Any], Callable[[Any, Any], Any]], ...] = (
    (int, _structure_int),
    (str, _structure_str),
    (bool, _structure_bool),
)
for _primitive, _hook in _PRIMITIVES:
    converter.register_structure_hook(_primitive, _strict_primitive(_primitive, _hook))
converter.register_unstructure_hook(Decimal, _unstructure_decimal)
converter.register_unstructure_hook_func(_exactly(date), date.isoformat)
converter.register_unstructure_hook(datetime, _unstructure_datetime)
converter.register_unstructure_hook_factory(_is_enum, _unstructure_enum)
# str/int enums would otherwise hit the str/int pass-through, which keeps the enum type.
converter.register_unstructure_hook(enum.StrEnum, _enum_value)
converter.register_unstructure_hook(enum.IntEnum, _enum_value)
converter.register_structure_hook_factory(_is_enum, _structure_enum)
converter.register_structure_hook_factory(is_mutable_sequence, _structure_list)
converter.register_structure_hook_factory(attrs.has, _structure_model)
converter.register_unstructure_hook_factory(attrs.has, _unstructure_model)


def to_wire(obj: Any) -> dict[str, Any]:
    """Encode a model as a JSON-ready dict (``Decimal`` values stay ``Decimal``; see ``_json``)."""
    try:
        result: dict[str, Any] = converter.unstructure(obj)
    except RequestValidationError:
        # Find the full path of the offending value (the hook that raised did not know it).
        from ._validate import validate_request

        validate_request(obj)
        raise
    return result


def from_wire(data: Any, cls: type[T], aliases: WireAliases | None = None) -> T:
    """Decode parsed JSON into ``cls``, reading fields also under ``aliases``.

    Raises :class:`ResponseDecodeError` naming the wire path of the first bad or missing
    documented field, or :class:`RequestValidationError` (with the full path) when ``cls`` is a
    request model whose documented rules the data breaks. A guessed field never fails (see the
    module doc of :mod:`confirma_async.models`).
    """
    token = _ACTIVE.set(aliases) if aliases else None  # an empty set changes nothing
    try:
        result: T = converter.structure(data, cls)
    except Exception as exc:
        raise _decode_error(exc, data) from exc
    finally:
        if token is not None:
            _ACTIVE.reset(token)
    return result


@cache
def _wire_names(cl: Any) -> dict[str, str]:
    return {f.name: wire_name(f) for f in attrs.fields(cl)}


def _decode_error(exc: BaseException, body: Any) -> Exception:
    path = ""
    current = exc
    while isinstance(current, BaseExceptionGroup) and current.exceptions:
        sub = current.exceptions[0]
        for note in getattr(sub, "__notes__", ()):
            if isinstance(note, AttributeValidationNote) and isinstance(
                current, ClassValidationError
            ):
                name = _wire_names(current.cl).get(note.name, note.name)
                path = f"{path}.{name}" if path else name
            elif isinstance(note, IterableValidationNote) and isinstance(
                current, IterableValidationError
            ):
                path = f"{path}[{note.index}]"
        current = sub
    if isinstance(current, RequestValidationError):
        inner: str = current.field
        field = f"{path}.{inner}" if path and inner else path or inner
        return RequestValidationError(field, current.value, current.reason)
    if isinstance(current, KeyError):
        return ResponseDecodeError("required field is missing", path=path, body=body)
    return ResponseDecodeError(str(current) or type(current).__name__, path=path, body=body)
