"""Griffe extension for the docs build: ``attrs`` classes read like the dataclasses they are.

Griffe analyses source statically and knows dataclasses, not ``attrs``. For every class decorated
with ``@attrs.frozen``/``@attrs.define`` (or ``attr.s``-style aliases of them) this extension:

* synthesises the ``__init__`` signature attrs generates (keyword-only when ``kw_only=True``), so
  the reference shows ``ClientConfig(*, connect_timeout: float = 10.0, ...)``;
* shows each field's default (``10.0``, ``dict()``) instead of the ``attrs.field(...)`` call;
* gives an undocumented field of a wire model (``confirma_async.models``) its wire name as its
  docstring, since users read the JSON next to the reference.

It also hides the right-hand side of instance attributes set in ``__init__`` (``self.x = ...``),
which documents nothing but implementation. Loaded by path from ``mkdocs.yml``; no network.
"""

from __future__ import annotations

from typing import Any

import griffe

_ATTRS_DECORATORS = {
    "attrs.frozen",
    "attrs.define",
    "attrs.mutable",
    "attr.frozen",
    "attr.define",
    "attr.s",
    "attr.attrs",
}
_FIELD_CALLS = {"attrs.field", "attr.field", "attr.ib", "attr.attrib"}
_MODELS = "confirma_async.models"


def _attrs_decorator(cls: griffe.Class) -> griffe.Expr | str | None:
    for decorator in cls.decorators:
        value = decorator.value
        path = getattr(value, "canonical_path", str(value))
        if path in _ATTRS_DECORATORS:
            return value
    return None


def _keywords(call: object) -> dict[str, Any]:
    if not isinstance(call, griffe.ExprCall):
        return {}
    return {arg.name: arg.value for arg in call.arguments if isinstance(arg, griffe.ExprKeyword)}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _field_call(attribute: griffe.Attribute) -> griffe.ExprCall | None:
    value = attribute.value
    if not isinstance(value, griffe.ExprCall):
        return None
    path = value.canonical_path
    if path in _FIELD_CALLS:
        return value
    if path.endswith(".extra_field"):  # the models' helper: attrs.field(factory=dict, ...)
        return griffe.ExprCall(function="attrs.field", arguments=[])
    return None


def _default(attribute: griffe.Attribute) -> tuple[bool, Any]:
    """(has a default, the default to show) of one attrs field."""
    value = attribute.value
    call = _field_call(attribute)
    if call is None:
        return value is not None, value
    if isinstance(value, griffe.ExprCall) and value.canonical_path.endswith(".extra_field"):
        return True, "dict()"
    kw = _keywords(call)
    if "default" in kw:
        return True, kw["default"]
    if "factory" in kw:
        return True, f"{kw['factory']}()"
    return False, None


def _wire_name(attribute: griffe.Attribute) -> str:
    call = attribute.value
    if isinstance(call, griffe.ExprCall):
        metadata = _keywords(call).get("metadata")
        text = str(metadata) if metadata is not None else ""
        if text.startswith("wire(") and text[5:6] in "\"'":
            return text[6 : text.index(text[5], 6)]
    return _camel(attribute.name)


def _fields(cls: griffe.Class) -> list[griffe.Attribute]:
    fields = []
    for member in cls.members.values():
        if member.is_alias or not member.is_attribute:
            continue
        attribute: griffe.Attribute = member  # type: ignore[assignment]
        # In an attrs class every annotated class-body name is a field (with a value or not).
        if attribute.annotation is None or "property" in attribute.labels:
            continue
        annotation = str(attribute.annotation)
        if annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        fields.append(attribute)
    return fields


def _handle_attrs_class(cls: griffe.Class, decorator: Any) -> None:
    kw_only = str(_keywords(decorator).get("kw_only")) == "True"
    kind = (
        griffe.ParameterKind.keyword_only if kw_only else griffe.ParameterKind.positional_or_keyword
    )
    parameters = [
        griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword),
    ]
    for attribute in _fields(cls):
        has_default, default = _default(attribute)
        wire_name = _wire_name(attribute)
        attribute.value = default if has_default else None
        attribute.labels -= {"class-attribute", "instance-attribute"}
        attribute.labels.add("field")
        if attribute.docstring is None and cls.path.startswith(_MODELS):
            text = (
                "Undocumented wire keys: kept when decoding, merged into the object when encoding."
                if attribute.name == "extra"
                else f"Wire name: `{wire_name}`."
            )
            attribute.docstring = griffe.Docstring(text, parent=attribute)
        parameters.append(
            griffe.Parameter(
                attribute.name,
                annotation=attribute.annotation,
                kind=kind,
                default=default if has_default else None,
                docstring=attribute.docstring,
            )
        )
    if "__init__" in cls.members:
        return
    init = griffe.Function(
        "__init__",
        lineno=0,
        endlineno=0,
        parent=cls,
        parameters=griffe.Parameters(*parameters),
        returns="None",
    )
    cls.set_member("__init__", init)


def _hide_instance_values(cls: griffe.Class) -> None:
    for member in cls.members.values():
        if member.is_alias or not member.is_attribute:
            continue
        if "instance-attribute" in member.labels and "class-attribute" not in member.labels:
            member.value = None  # type: ignore[union-attr]


class AttrsModels(griffe.Extension):
    """Applies the rewrites above once the package is fully loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Visit every class of the package."""
        self._visit(pkg, set())

    def _visit(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if isinstance(obj, griffe.Class):
            decorator = _attrs_decorator(obj)
            if decorator is not None:
                _handle_attrs_class(obj, decorator)
            else:
                _hide_instance_values(obj)
        for member in list(obj.members.values()):
            if not member.is_alias and (member.is_module or member.is_class):
                self._visit(member, seen)  # type: ignore[arg-type]
