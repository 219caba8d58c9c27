"""A compiled path from a wire dict straight to its canonical wire form, with no model in between.

Bulk input arrives as dicts (JSON lines). The model path builds the request model from the dict
(:mod:`._request_fast`) and writes it back to a wire dict (:mod:`._request_encode`), only to
serialise that: seven objects per invoice made and dropped. For each request class this module
generates, once, one function that reads and checks the dict exactly as the compiled builder does
(the same generated checks: JSON types, documented rules, listed enum values) and writes what the
encoder would write for the model it would have built: money quantized to cents, dates as
``YYYY-MM-DD``, enum values, 0/1 flags, ``None`` where the field is written as null (left out where
the field says so), the parts as nested dicts, then the unknown keys as given.

It writes only that common case: anything else raises (``Unusual``, or another error), and the
caller takes the model path, which builds the same body or raises the input's error. A class that
checks rules across its fields (``_check_request``) is not compiled.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ._codegen import (
    CannotCompile,
    base_env,
    compiled_once,
    field_target,
    plain_request_class,
    wire_fields,
)
from ._fields import WIRE_OMIT_NONE, WIRE_TYPE
from ._request_fast import _field_code
from ._scalars import _CENTS, _MONEY_CONTEXT

__all__ = ["wire_writer"]

_writers: dict[tuple[type[Any], bool], Callable[[Any], dict[str, Any]] | None] = {}


def wire_writer(cls: type[Any]) -> Callable[[Any], dict[str, Any]] | None:
    """The compiled dict -> canonical wire dict of request class ``cls``, or ``None``.

    The function raises for anything but the common, well-formed case (then build the model).
    """
    return _compiled(cls, "__attrs_post_init__" in cls.__dict__)


def _compiled(cls: type[Any], validating: bool) -> Callable[[Any], dict[str, Any]] | None:
    built: Callable[[Any], dict[str, Any]] | None = compiled_once(
        _writers, cls, validating, _compile
    )
    return built


def _compile(cls: type[Any], validating: bool) -> Callable[[Any], dict[str, Any]]:
    if not plain_request_class(cls) or hasattr(cls, "_check_request"):
        raise CannotCompile(cls)
    fields = attrs.fields_dict(cls)
    if "extra" not in fields or fields["extra"].default is attrs.NOTHING:
        raise CannotCompile("extra")
    hints = typing.get_type_hints(cls)
    env = {**base_env(), "cents": _CENTS, "money": _MONEY_CONTEXT}
    lines = ["def write(d):", "    if type(d) is not dict:", "        raise Unusual"]
    lines += ["    get = d.get", "    w = {}"]
    known: list[str] = []
    for index, f, wire in wire_fields(cls):
        var = f"v{index}"
        known.append(wire)
        target, optional = field_target(hints[f.name])
        written = _written(f, target, var)
        if _is_part(target) and f.default not in (None, attrs.NOTHING):
            # Its default would be a model: leave that to the model path.
            lines += [f"    if {wire!r} not in d:", "        raise Unusual"]
        lines += _field_code(cls, f, hints[f.name], wire, var, env, validating, _compiled)
        if f.metadata.get(WIRE_OMIT_NONE):  # left out when None (its default)
            if f.default is not None:
                raise CannotCompile(f.name)
            lines += [f"    if {var} is not None:", f"        w[{wire!r}] = {written}"]
        elif optional:
            lines.append(f"    w[{wire!r}] = None if {var} is None else {written}")
        else:
            lines.append(f"    w[{wire!r}] = {written}")
    env["known"] = frozenset(known)
    lines += [
        "    if not d.keys() <= known:",
        "        w.update({k: x for k, x in d.items() if k not in known})",
        "    return w",
    ]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<wire writer of {cls.__name__}>", "exec"), env, namespace)
    built: Callable[[Any], dict[str, Any]] = namespace["write"]
    return built


def _is_part(target: Any) -> bool:
    return (isinstance(target, type) and attrs.has(target)) or typing.get_origin(target) is list


def _written(f: attrs.Attribute[Any], target: Any, var: str) -> str:
    """What the encoder writes for the converted value in ``var`` (see ``_request_encode``)."""
    if f.metadata.get(WIRE_TYPE) == "int_flag":
        return f"1 if {var} else 0"
    if target in (int, str, bool) or _is_part(target):  # a part: already its wire dict(s)
        return var
    if target is Decimal:
        return f"{var}.quantize(cents, context=money)"
    if target is date:
        return f"{var}.isoformat()"
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return f"{var}._value_"
    raise CannotCompile(f"{f.name}: {target!r}")
