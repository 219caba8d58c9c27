"""Finding the value in a model tree that the converter cannot write, and its wire path.

``to_wire`` uses it when writing failed with an unexpected error (a value of the wrong type in a
model built without validation, an amount too large to write with two decimals), so that the
:class:`~confirma_async.errors.RequestValidationError` it raises names the field.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from ._fields import WIRE_TYPE, is_wire_field, wire_name

__all__ = ["unwritable"]


def unwritable(conv: cattrs.Converter, value: Any) -> tuple[str, Any] | None:
    """The wire path and value of the first part of ``value`` that ``conv`` cannot write."""
    return _find(conv, value, type(value), "")


def _find(conv: cattrs.Converter, value: Any, hint: Any, path: str) -> tuple[str, Any] | None:
    cls = type(value)
    if attrs.has(cls):
        hints = typing.get_type_hints(cls)
        for f in attrs.fields(cls):
            if is_wire_field(f) and f.metadata.get(WIRE_TYPE) != "int_flag":  # a flag is 0 or 1
                name = wire_name(f)
                found = _find(conv, getattr(value, f.name), hints[f.name], _join(path, name))
                if found is not None:
                    return found
        extra = getattr(value, "extra", None)
        return None if not extra else _find(conv, extra, Any, path)
    if isinstance(value, list | tuple):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        item_hint = args[0] if len(args) == 1 else Any
        for index, item in enumerate(value):
            found = _find(conv, item, item_hint, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _find(conv, item, Any, _join(path, str(key)))
            if found is not None:
                return found
        return None
    if value is None:
        return None  # written as null
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if len(args) == 1 else Any
    try:
        conv.unstructure(value, None if hint is Any else hint)
    except Exception:
        return path, value
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
