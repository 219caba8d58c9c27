"""Griffe extension for the docs build: every attribute shows a type, no class shows a private base.

Griffe reads annotations; an attribute set in ``__init__`` without one (``self.path = path``) or an
enum member has none, and the reference then shows a bare name. Before the other extensions hide
the values, this one infers the type the source states anyway:

* an enum member is of its enum (``EMAIL: DistributionMethod``);
* ``self.x = param`` (or ``param or Default()``) takes the parameter's annotation in ``__init__``;
* ``self.x = SomeClass(...)`` is a ``SomeClass``;
* a module-level alias (``WindowFetch = Callable[...]``) is a ``TypeAlias``;
* otherwise an ``__init__`` parameter of the same name gives its annotation.

It also drops private bases (``confirma_async._core.closing.AsyncClosing``): users never see or
use them (public classes re-exported from private modules, such as ``OpenStrEnum``, stay).
Loaded by path from ``mkdocs.yml``, before ``attrs_models.py``.
"""

from __future__ import annotations

from typing import Any

import griffe

_ENUM_BASES = ("Enum", "StrEnum", "IntEnum", "OpenStrEnum", "OpenIntEnum")


def _is_enum(cls: griffe.Class) -> bool:
    return any(str(base).rsplit(".", 1)[-1] in _ENUM_BASES for base in cls.bases)


def _init_parameters(cls: griffe.Class) -> dict[str, Any]:
    init = cls.members.get("__init__")
    if init is None or init.is_alias or not init.is_function:
        return {}
    return {p.name: p.annotation for p in init.parameters if p.annotation is not None}  # type: ignore[union-attr]


_LOWER_CLASSES = {"datetime", "date", "timedelta", "dict", "list", "set", "frozenset"}


def _constructor(value: Any) -> str | None:
    """``SomeClass`` for a ``SomeClass(...)`` call (a class by its name), else ``None``."""
    if isinstance(value, griffe.ExprCall):
        name = str(value.function).rsplit(".", 1)[-1]
        return name if name[:1].isupper() or name in _LOWER_CLASSES else None
    return None


def _literal(value: Any) -> str | None:
    """The type of a literal value (``0`` is an ``int``), else ``None``."""
    if not isinstance(value, str):
        return None
    if value in ("True", "False"):
        return "bool"
    if value[:1] in "'\"":
        return "str"
    try:
        float(value)
    except ValueError:
        return None
    return "int" if value.lstrip("-").isdigit() else "float"


def _infer(cls: griffe.Class, attribute: griffe.Attribute, params: dict[str, Any]) -> Any:
    if "class-attribute" in attribute.labels and _is_enum(cls):
        return cls.name
    value = attribute.value
    if isinstance(value, griffe.ExprName) and value.name in params:
        return params[value.name]
    if isinstance(value, griffe.ExprBoolOp):
        first, last = value.values[0], value.values[-1]
        if isinstance(first, griffe.ExprName) and first.name in params:
            return _constructor(last) or params[first.name]
    if (made := _constructor(value) or _literal(value)) is not None:
        return made
    return params.get(attribute.name)


def _fill_class(cls: griffe.Class) -> None:
    params = _init_parameters(cls)
    for member in cls.members.values():
        if member.is_alias or not member.is_attribute or member.annotation is not None:
            continue
        attribute: griffe.Attribute = member  # type: ignore[assignment]
        inferred = _infer(cls, attribute, params)
        if inferred is not None:
            attribute.annotation = inferred
    cls.bases = [base for base in cls.bases if not _private(base)]


def _fill_module(module: griffe.Module) -> None:
    for member in module.members.values():
        if member.is_alias or not member.is_attribute or member.annotation is not None:
            continue
        if isinstance(member.value, griffe.ExprSubscript | griffe.ExprBinOp):
            member.annotation = "TypeAlias"  # type: ignore[union-attr]


def _private(base: Any) -> bool:
    """A base users never import: private by name, or from the private ``_core`` layer."""
    path = str(getattr(base, "canonical_path", base))
    return path.rsplit(".", 1)[-1].startswith("_") or "._core." in path


class AttributeTypes(griffe.Extension):
    """Applies the rules above to each class and module as griffe finishes loading its members."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        """Type the attributes of ``cls`` and drop its private bases."""
        _fill_class(cls)

    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        """Type the module-level aliases of ``mod``."""
        _fill_module(mod)
