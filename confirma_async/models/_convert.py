"""The cattrs converter: wire JSON <-> typed models.

Wire names are the camelCase of the Python names unless a field says otherwise (see ``_fields``).
Per model class the structure and unstructure functions are generated once (cattrs ``make_dict_*``)
and wrapped to handle ``extra``:

* decoding keeps every key the model does not know in ``extra`` (forward compatibility);
* encoding merges ``extra`` into the JSON object at the same level, after the documented fields, so
  an ``extra`` key also overrides a documented one (an escape hatch when the live API differs).

Scalars (money, dates, enums, lists) are registered from ``_scalars``. A guessed field is decoded
leniently (see :mod:`confirma_async.models`): a value of another type leaves it at its default and
lands in ``extra``.

A request model, or a part of one, is what a user sends and is decoded strictly: ``converter``
hands such a class to a second converter, ``_strict``, which shares every hook but registers the
strict scalar hooks (see ``_scalars``); an error inside one is a :class:`RequestValidationError`.
The choice is made once per class when its hook is generated, so responses pay nothing for it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

import attrs
import cattrs
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
from ._locate import unwritable
from ._request_encode import fast_encoder
from ._request_fast import fast_builder
from ._scalars import WrongInput, flag_hook, int_flag, register_scalars, type_error
from ._validate import is_request_class, validate_request

__all__ = ["converter", "from_wire", "to_wire"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=True)
_strict = cattrs.Converter(detailed_validation=True)


class _Bad:
    """A guessed field's value of another type: the field keeps its default, ``extra`` the value."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _lenient(hint: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
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
            hook = conv.get_structure_hook(target)
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


def _structure_model(cl: type[Any], conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    strict = conv is _strict
    if not strict and is_request_class(cl):
        return _strict.get_structure_hook(cl)  # what a user sends: decoded strictly
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
            hook = flag_hook(strict)
        if guess_of(f) is not None:
            if f.default is attrs.NOTHING:
                raise TypeError(f"guessed field {cl.__name__}.{f.name} needs a default")
            hook = _lenient(f.type, conv)
            guessed.append((f, name))
        overrides[f.name] = override(rename=name, struct_hook=hook)
        for alias in f.metadata.get(WIRE_ALIASES, ()):
            known.add(alias)
            aliases.append((alias, name))
    generated = make_dict_structure_fn(
        cl,
        conv,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=True,
        **overrides,
    )
    known_keys = frozenset(known)
    has_extra = "extra" in attrs.fields_dict(cl)

    def structure(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise type_error("a JSON object", data)
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
            overrides[f.name] = override(rename=wire_name(f), unstruct_hook=int_flag)
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


register_scalars(converter)
register_scalars(_strict, strict=True)
for _conv in (converter, _strict):
    _conv.register_structure_hook_factory(attrs.has, _structure_model)  # called with (cl, conv)
converter.register_unstructure_hook_factory(attrs.has, _unstructure_model)


def to_wire(obj: Any) -> dict[str, Any]:
    """Encode a model as a JSON-ready dict; ``Decimal`` values stay ``Decimal`` (``_core.json``).

    Raises only :class:`RequestValidationError` (naming the wire path of the value when it can be
    found) for a value that cannot be written.
    """
    encode = _ENCODERS.get(type(obj), _NOT_YET)
    if encode is _NOT_YET:
        encode = _ENCODERS[type(obj)] = (
            fast_encoder(type(obj)) if is_request_class(type(obj)) else None
        )
    if encode is not None:
        try:  # the compiled path of a request model: the usual values, else any error
            return encode(obj)  # type: ignore[no-any-return]
        except Exception:  # the general path below writes it or says what is wrong
            pass
    try:
        result: dict[str, Any] = converter.unstructure(obj)
    except RequestValidationError:
        validate_request(obj)  # the full path of the offending value (the hook did not know it)
        raise
    except (ArithmeticError, ValueError, TypeError, AttributeError) as exc:
        path, value = unwritable(converter, obj) or (type(obj).__name__, obj)
        reason = f"cannot be written ({type(exc).__name__})"
        raise RequestValidationError(path, value, reason) from exc
    return result


def from_wire(
    data: Any, cls: type[T], aliases: WireAliases | None = None, *, strict: bool = False
) -> T:
    """Decode parsed JSON into ``cls``, reading fields also under ``aliases``.

    Raises :class:`ResponseDecodeError` naming the wire path of the first bad or missing
    documented field. A guessed field never fails (see the module doc of
    :mod:`confirma_async.models`).

    A request model or a part of one (what a user sends), or any ``cls`` if ``strict``, is decoded
    strictly: only the documented JSON types are accepted (see ``_scalars``), and any error, a
    broken documented rule included, is a :class:`RequestValidationError` with the full wire path.
    """
    if not aliases and (build := _fast(cls)) is not None and _ACTIVE.get() is None:
        try:  # the compiled path of a request model: the common case, or Unusual
            result: T = build(data)
        except Exception:  # the general path below decides the result or the error
            pass
        else:
            return result
    token = _ACTIVE.set(aliases) if aliases else None  # an empty set changes nothing
    try:
        result = (_strict if strict else converter).structure(data, cls)
    except Exception as exc:
        raise _decode_error(exc, data, strict) from exc
    finally:
        if token is not None:
            _ACTIVE.reset(token)
    return result


_FAST: dict[Any, Callable[[Any], Any] | None] = {}
_ENCODERS: dict[Any, Any] = {}
_NOT_YET = object()


def _fast(cls: Any) -> Callable[[Any], Any] | None:
    """The compiled builder of a request class (see ``_request_fast``), else ``None``."""
    try:
        return _FAST[cls]
    except KeyError:
        built = _FAST[cls] = fast_builder(cls) if is_request_class(cls) else None
        return built
    except TypeError:  # not hashable: not a model class
        return None


@cache
def _wire_names(cl: Any) -> dict[str, str]:
    return {f.name: wire_name(f) for f in attrs.fields(cl)}


def _decode_error(exc: BaseException, body: Any, strict: bool) -> Exception:
    path = ""
    current = exc
    strict = strict or (isinstance(exc, ClassValidationError) and is_request_class(exc.cl))
    while isinstance(current, BaseExceptionGroup) and current.exceptions:
        sub = current.exceptions[0]
        if isinstance(sub, ClassValidationError) and is_request_class(sub.cl):
            strict = True  # the error is inside what a user sends
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
    missing = isinstance(current, KeyError)
    if strict:
        if isinstance(current, WrongInput):
            return RequestValidationError(path or "body", current.value, current.reason)
        reason = "required field is missing" if missing else str(current) or type(current).__name__
        return RequestValidationError(path or "body", None, reason)
    if missing:
        return ResponseDecodeError("required field is missing", path=path, body=body)
    return ResponseDecodeError(str(current) or type(current).__name__, path=path, body=body)
