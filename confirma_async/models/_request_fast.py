"""A compiled fast path from wire dicts to request models (bulk input: JSON lines, dicts).

The general path, ``from_wire(data, InvoiceRequest, strict=True)``, costs tens of µs an invoice:
cattrs' per-field dispatch and detailed-validation bookkeeping, then :func:`validate_request`
walking the built model. For each request class (and its parts) this module generates, once, one
plain Python function that reads the wire dict, checks every value's JSON type exactly as the
strict hooks do, runs the documented rules of ``validate_request`` (text, ISO codes, amounts...)
on the way, and fills the model's slots directly.

It accepts only the common, well-formed case and never decides an error: anything else (a value of
another type, an int where a Decimal goes, an unlisted enum value, a broken rule, an unknown
shape, runtime wire aliases) raises :class:`Unusual`, and the caller then runs the general
converter, which returns the same model or raises the same error with its wire path. A class is
compiled only when every field has a type handled here and nothing runs at construction besides
``validate_request`` (no attrs validators or converters); otherwise :func:`fast_builder` returns
``None`` and the general path is used.
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
    Unusual,
    base_env,
    compiled_once,
    field_target,
    plain_request_class,
    wire_fields,
)
from ._fields import (
    FREE_TEXT,
    NULLABLE,
    RULES,
    WIRE_TYPE,
)
from ._iso_codes import COUNTRY_CODES, CURRENCY_CODES
from ._scalars import _CENTS, _MONEY_CONTEXT, MAX_AMOUNT_DIGITS
from ._validate import (
    _EMAIL,
    _NOT_TEXT,
    amount,
    country_code,
    currency_code,
    email,
    iso_date,
    positive_int,
)

__all__ = ["Unusual", "fast_builder"]  # Unusual: see _codegen


_SCALARS = {int: "int", str: "str", bool: "bool", Decimal: "decimal", date: "date"}
_builders: dict[tuple[type[Any], bool], Callable[[Any], Any] | None] = {}


def fast_builder(cls: type[Any]) -> Callable[[Any], Any] | None:
    """The compiled builder of request class ``cls`` (``None``: not compiled, use the general path).

    A class that validates itself when built (``__attrs_post_init__``) gets its rules checked by
    the builder, as its construction would; a part of a request is built unchecked, as the general
    path builds it.
    """
    validating = "__attrs_post_init__" in cls.__dict__
    return _compiled(cls, validating)


def _compiled(cls: type[Any], validating: bool) -> Callable[[Any], Any] | None:
    return compiled_once(_builders, cls, validating, _compile)


def _compile(cls: type[Any], validating: bool) -> Callable[[Any], Any]:
    if not plain_request_class(cls):
        raise CannotCompile(cls)
    hints = typing.get_type_hints(cls)
    env = {**base_env(), "new": object.__new__, "cls": cls}
    lines = [
        "def build(d):",
        "    if type(d) is not dict:",
        "        raise Unusual",
        "    get = d.get",
    ]
    known: list[str] = []
    for index, f, wire in wire_fields(cls):
        known.append(wire)
        lines += _field_code(cls, f, hints[f.name], wire, f"v{index}", env, validating)
    env["known"] = frozenset(known)
    fields = attrs.fields_dict(cls)
    if "extra" not in fields or fields["extra"].default is attrs.NOTHING:
        raise CannotCompile("extra")
    lines += [
        "    extra = {} if d.keys() <= known else {k: x for k, x in d.items() if k not in known}",
        "    o = new(cls)",
    ]
    for index, f in enumerate(attrs.fields(cls)):
        setter = f"set_{f.name}"
        env[setter] = cls.__dict__[f.name].__set__
        value = "extra" if f.name == "extra" else f"v{index}"
        lines.append(f"    {setter}(o, {value})")
    if validating and hasattr(cls, "_check_request"):
        lines.append("    o._check_request('')")
    lines.append("    return o")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<fast builder of {cls.__name__}>", "exec"), env, namespace)
    built: Callable[[Any], Any] = namespace["build"]
    return built


Nested = Callable[[type[Any], bool], Callable[[Any], Any] | None]
"""Compiles a part (a nested request class): the builder here, the wire writer elsewhere."""


def _field_code(
    cls: type[Any],
    f: attrs.Attribute[Any],
    hint: Any,
    wire: str,
    var: str,
    env: dict[str, Any],
    validating: bool,
    nested: Nested | None = None,
) -> list[str]:
    """Lines reading, converting and (if ``validating``) checking one field into ``var``.

    A part is converted by what ``nested`` compiles for its class (by default, its builder).
    """
    target, optional = field_target(hint)
    lines = [f"    {var} = get({wire!r}, MISSING)", f"    if {var} is MISSING:"]
    if f.default is attrs.NOTHING:
        lines.append("        raise Unusual")
    elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
        env[f"factory_{var}"] = f.default.factory  # type: ignore[union-attr]
        lines.append(f"        {var} = factory_{var}()")
    else:
        env[f"default_{var}"] = f.default
        lines.append(f"        {var} = default_{var}")
    convert = _convert_code(cls, target, f, var, env, validating, nested or _compiled)
    if optional:
        lines += [f"    elif {var} is not None:", *("    " + line for line in convert)]
    else:
        lines += ["    else:", *convert]
    if validating:
        lines += _check_code(f, target, var, env)
    return lines


def _convert_code(
    cls: type[Any],
    target: Any,
    f: attrs.Attribute[Any],
    var: str,
    env: dict[str, Any],
    validating: bool,
    nested: Nested,
) -> list[str]:
    """Lines (indented 8) taking the raw JSON value in ``var`` to the field's type, or raising."""
    if f.metadata.get(WIRE_TYPE) == "int_flag":
        if target is not bool:
            raise CannotCompile(f.name)
        return [
            f"        if type({var}) is not int or {var} not in (0, 1):",
            "            raise Unusual",
            f"        {var} = {var} == 1",
        ]
    kind = _SCALARS.get(target)
    if kind == "int":
        return [f"        if type({var}) is not int:", "            raise Unusual"]
    if kind == "str":
        return [f"        if type({var}) is not str:", "            raise Unusual"]
    if kind == "bool":
        return [
            f"        if {var} is not True and {var} is not False:",
            "            raise Unusual",
        ]
    if kind == "decimal":
        return [
            f"        if type({var}) is int:",
            f"            {var} = Decimal({var})",
            f"        elif type({var}) is not Decimal or not {var}.is_finite():",
            "            raise Unusual",
        ]
    if kind == "date":  # the strict date hook's own test, then the same parser
        return [
            f"        if type({var}) is not str or len({var}) != 10 or {var}[7] != '-':",
            "            raise Unusual",
            f"        {var} = parse_date({var})",
        ]
    if isinstance(target, type) and issubclass(target, enum.Enum):
        if not issubclass(target, str) or any(_NOT_TEXT.search(m.value) for m in target):
            raise CannotCompile(f.name)
        env[f"members_{var}"] = {m.value: m for m in target}  # listed members only
        return [
            f"        {var} = members_{var}.get({var}) if type({var}) is str else None",
            f"        if {var} is None:",
            "            raise Unusual",
        ]
    if isinstance(target, type) and attrs.has(target):
        inner = nested(target, validating)  # a part is checked where its request is
        if inner is None:
            raise CannotCompile(f.name)
        env[f"build_{var}"] = inner
        return [f"        {var} = build_{var}({var})"]
    if typing.get_origin(target) is list:
        (item,) = typing.get_args(target)
        if not (isinstance(item, type) and attrs.has(item)):
            raise CannotCompile(f.name)
        inner = nested(item, validating)
        if inner is None:
            raise CannotCompile(f.name)
        env[f"build_{var}"] = inner
        return [
            f"        if type({var}) is not list and type({var}) is not tuple:",
            "            raise Unusual",
            f"        {var} = [build_{var}(x) for x in {var}]",
        ]
    raise CannotCompile(f"{cls.__name__}.{f.name}: {target!r}")


def _amount_ok(value: Any) -> bool:
    """What :func:`amount` accepts, for a finite ``Decimal`` (``False``: let the general path say).

    Below ``MAX_AMOUNT_DIGITS`` digits before the point, quantizing to cents in the money context
    is exact, so the value equals its quantized self exactly when it has at most 2 decimal places.
    """
    if value and value.adjusted() >= MAX_AMOUNT_DIGITS:
        return False
    return bool(value == value.quantize(_CENTS, context=_MONEY_CONTEXT))


# What passes each rule, as an expression: exactly what the rule accepts (for the ISO codes and
# e-mail, the same set or pattern), so the rule runs, and names the problem, only otherwise.
_PASSES: dict[Any, str] = {
    iso_date: "type({v}) is date",
    positive_int: "type({v}) is int and {v} > 0",
    currency_code: "type({v}) is str and {v} in currency_codes",
    country_code: "type({v}) is str and {v} in country_codes",
    email: "type({v}) is str and email_match({v}) is not None",
}
_PASS_NAMES = {
    "currency_codes": CURRENCY_CODES,
    "country_codes": COUNTRY_CODES,
    "email_match": _EMAIL.fullmatch,
}


def _check_code(f: attrs.Attribute[Any], target: Any, var: str, env: dict[str, Any]) -> list[str]:
    """Lines running what ``validate_request`` runs on this field's value (any failure raises)."""
    checks = tuple(f.metadata.get(RULES, ()))
    nullable = bool(f.metadata.get(NULLABLE))
    lines: list[str] = []
    body: list[str] = []
    if target is str:
        search = "bad_free_text" if f.metadata.get(FREE_TEXT) else "bad_text"
        # A printable string (str.isprintable, one C call) holds no control, bidi-override or
        # surrogate character (categories Cc, Cf, Cs); any other string gets the exact check.
        body += [
            f"if type({var}) is str and not {var}.isprintable() and {search}({var}) is not None:",
            "    raise Unusual",
        ]
    for n, check in enumerate(checks):
        if check is amount:  # the same rule, tested in one C call (see _amount_ok)
            env["amount_ok"] = _amount_ok
            body += [f"if not amount_ok({var}):", "    raise Unusual"]
            continue
        env[f"check_{var}_{n}"] = check
        call = f"check_{var}_{n}('', {var})"
        passes = _PASSES.get(check)  # a test in the generated code; the check only if it fails
        if passes is not None:
            env.update(_PASS_NAMES)
            body += [f"if not ({passes.format(v=var)}):", f"    {call}"]
        else:
            body.append(call)
    # A nested model (or list of models) was built by its own validating builder: checked there.
    if not body:
        return lines
    if nullable:
        lines.append(f"    if {var} is not None:")
        return lines + ["        " + line for line in body]
    return lines + ["    " + line for line in body]
