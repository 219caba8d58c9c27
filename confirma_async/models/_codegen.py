"""The shared pieces of the compiled request paths.

``_request_fast`` (dict -> model), ``_request_encode`` (model -> wire dict) and ``_request_wire``
(dict -> wire dict) share: which classes compile, how a field's type is read, the names the
generated code uses, and a cache that compiles each class once.
"""

from __future__ import annotations

import contextlib
import types
import typing
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ._fields import WIRE_ALIASES, guess_of, is_wire_field, wire_name
from ._validate import _NOT_FREE_TEXT, _NOT_TEXT, _request_classes

__all__ = [
    "MISSING",
    "CannotCompile",
    "Unusual",
    "base_env",
    "compiled_once",
    "field_target",
    "plain_request_class",
    "wire_fields",
]


class Unusual(Exception):
    """Internal: this input needs the general converter (which decides the result or the error)."""


class CannotCompile(Exception):
    """A field type this module does not handle: the class keeps the general path."""


MISSING = object()


def plain_request_class(cls: type[Any]) -> bool:
    """Only attrs' ``__init__`` (and at most ``validate_request``) runs when ``cls`` is built."""
    if not attrs.has(cls) or "__slots__" not in cls.__dict__ or cls not in _request_classes():
        return False
    post_init = cls.__dict__.get("__attrs_post_init__")
    if post_init is not None and not _only_validates(post_init):
        return False
    return all(f.validator is None and f.converter is None for f in attrs.fields(cls))


def _only_validates(post_init: Any) -> bool:
    code = getattr(post_init, "__code__", None)
    return code is not None and code.co_names in (("v", "validate_request"), ("validate_request",))


def field_target(hint: Any) -> tuple[Any, bool]:
    """``(type, optional)`` of a field hint (``X | None`` is ``(X, True)``)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1 or len(typing.get_args(hint)) != 2:
            raise CannotCompile(hint)
        return args[0], True
    return hint, False


def base_env() -> dict[str, Any]:
    """The names the generated reading and checking code uses (see :func:`_field_code`)."""
    return {
        "Unusual": Unusual,
        "MISSING": MISSING,
        "Decimal": Decimal,
        "parse_date": date.fromisoformat,
        "date": date,
        "bad_text": _NOT_TEXT.search,
        "bad_free_text": _NOT_FREE_TEXT.search,
    }


def compiled_once(
    cache: dict[tuple[type[Any], bool], Any | None],
    cls: type[Any],
    validating: bool,
    compile_: Callable[[type[Any], bool], Any],
) -> Any | None:
    """``compile_(cls, validating)``, made once (``None``, cached too, if it cannot be)."""
    key = (cls, validating)
    if key not in cache:
        cache[key] = None  # a recursive model falls back rather than looping
        with contextlib.suppress(CannotCompile):
            cache[key] = compile_(cls, validating)
    return cache[key]


def wire_fields(cls: type[Any]) -> Iterator[tuple[int, attrs.Attribute[Any], str]]:
    """``(index, field, wire name)`` of every field but ``extra``; refuses what is not compiled."""
    for index, f in enumerate(attrs.fields(cls)):
        if f.name == "extra":
            continue
        if not is_wire_field(f) or f.metadata.get(WIRE_ALIASES) or guess_of(f) is not None:
            raise CannotCompile(f.name)
        yield index, f, wire_name(f)
