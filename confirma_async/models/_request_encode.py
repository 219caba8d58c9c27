"""A compiled fast path from request models to wire dicts (``to_wire``), the other half of bulk.

``to_wire`` runs cattrs' generated unstructure functions, which dispatch every value through the
converter's hooks. For each request class (and its parts) this module generates, once, one plain
function writing the same dict, key for key and in the same order: documented fields first (a
``None`` left out where the field says so), money quantized to cents, dates as ``YYYY-MM-DD``,
enum members as their values, 0/1 flags, then ``extra`` merged over them.

It writes only the usual case: a value of another type than its field's (a ``datetime`` in a date
field, a tuple for a list, a non-finite amount...) raises :class:`Unusual` (an amount too long to
quantize raises its own error), and the caller runs the general ``to_wire``, which writes it or
raises its error. A class with a field type not handled
here is not compiled (:func:`fast_encoder` returns ``None``).
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ._codegen import CannotCompile, Unusual, compiled_once, field_target
from ._fields import WIRE_OMIT_NONE, WIRE_TYPE, is_wire_field, wire_name
from ._scalars import _CENTS, _MONEY_CONTEXT
from ._validate import _request_classes

__all__ = ["fast_encoder"]

_encoders: dict[tuple[type[Any], bool], Callable[[Any], dict[str, Any]] | None] = {}


def fast_encoder(cls: type[Any]) -> Callable[[Any], dict[str, Any]] | None:
    """The compiled ``to_wire`` of request class ``cls``, or ``None`` (use the general one)."""
    built: Callable[[Any], dict[str, Any]] | None = compiled_once(
        _encoders, cls, False, lambda cls, _: _compile(cls)
    )
    return built


def _compile(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    env: dict[str, Any] = {
        "Unusual": Unusual,
        "Decimal": Decimal,
        "date": date,
        "cents": _CENTS,
        "money": _MONEY_CONTEXT,
    }
    lines = ["def encode(o):", *(f"    {line}" for line in _body(cls, "o", "d", "", env, ()))]
    lines.append("    return d")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<fast encoder of {cls.__name__}>", "exec"), env, namespace)
    built: Callable[[Any], dict[str, Any]] = namespace["encode"]
    return built


def _body(
    cls: type[Any], obj: str, out: str, prefix: str, env: dict[str, Any], outer: tuple[type, ...]
) -> list[str]:
    """Lines writing object ``obj`` of ``cls`` into a new dict ``out``.

    Perf: a part that is a request class itself (the header, the amounts...) is written inline,
    not by a call to its own encoder: one function per invoice instead of seven.
    """
    if not attrs.has(cls) or cls not in _request_classes() or cls in outer:
        raise CannotCompile(cls)
    hints = typing.get_type_hints(cls)
    env[f"cls_{prefix}"] = cls
    lines = [f"if type({obj}) is not cls_{prefix}:", "    raise Unusual", f"{out} = {{}}"]
    for index, f in enumerate(attrs.fields(cls)):
        if f.name == "extra" or not is_wire_field(f):
            continue
        var, key = f"{prefix}v{index}", wire_name(f)
        target, optional = field_target(hints[f.name])
        check, written = _write(f, target, var, env, (*outer, cls))
        lines.append(f"{var} = {obj}.{f.name}")
        store = [*check, f"{out}[{key!r}] = {written}"]
        if f.metadata.get(WIRE_OMIT_NONE):  # left out when None (its default)
            if f.default is not None:
                raise CannotCompile(f.name)
            lines += [f"if {var} is not None:", *(f"    {line}" for line in store)]
        elif optional:
            lines += [f"if {var} is None:", f"    {out}[{key!r}] = None", "else:"]
            lines += [f"    {line}" for line in store]
        else:
            lines += store
    extra = f"{prefix}extra"
    return [*lines, f"{extra} = {obj}.extra", f"if {extra}:", f"    {out}.update({extra})"]


def _write(
    f: attrs.Attribute[Any], target: Any, var: str, env: dict[str, Any], outer: tuple[type, ...]
) -> tuple[list[str], str]:
    """Checks raising :class:`Unusual` and an expression writing ``var`` as the converter would."""
    fail = "    raise Unusual"
    if f.metadata.get(WIRE_TYPE) == "int_flag":
        return [f"if {var} is not True and {var} is not False:", fail], f"1 if {var} else 0"
    if target in (int, str):
        return [f"if type({var}) is not {target.__name__}:", fail], var
    if target is bool:
        return [f"if {var} is not True and {var} is not False:", fail], var
    if target is Decimal:
        check = [f"if type({var}) is not Decimal or not {var}.is_finite():", fail]
        return check, f"{var}.quantize(cents, context=money)"
    if target is date:
        return [f"if type({var}) is not date:", fail], f"{var}.isoformat()"
    if isinstance(target, type) and issubclass(target, enum.Enum):
        env[f"enum_{var}"] = target
        check = [f"if type({var}) is enum_{var}:", f"    {var} = {var}._value_",
                 f"elif type({var}) is not str and type({var}) is not int:", fail]  # fmt: skip
        return check, var  # a plain value given for an enum field is sent as is
    if isinstance(target, type) and attrs.has(target):
        return _body(target, var, f"d_{var}", f"{var}_", env, outer), f"d_{var}"
    if typing.get_origin(target) is list:
        (item,) = typing.get_args(target)
        inner = fast_encoder(item) if isinstance(item, type) and attrs.has(item) else None
        if inner is None:
            raise CannotCompile(f.name)
        env[f"encode_{var}"] = inner
        return [f"if type({var}) is not list:", fail], f"[encode_{var}(x) for x in {var}]"
    raise CannotCompile(f"{f.name}: {target!r}")
