"""Field metadata shared by the models, the converter and the request validator.

A model field states its wire contract through ``attrs.field(metadata=...)``:

* ``wire("Message")`` — the wire name when it is not the camelCase of the Python name;
* ``wire(aliases=("events",))`` — older wire names also accepted when decoding;
* ``wire(guess="A11")`` / ``guessed("A11")`` — a response field whose name, presence or shape the
  public docs do not show: it is decoded leniently (see :mod:`confirma_async.models`) and
  ``confirma doctor`` checks it under that assumption id;
* ``rules(check, ...)`` — documented request rules (see :mod:`confirma_async.models._validate`);
* ``free_text()`` — a request string that is free text (a comment, a description): tab, CR and LF
  are allowed in it, while every other request string must be a single line.

``extra_field()`` is the last wire field of every model: undocumented keys, kept on decode and
merged into the JSON object on encode. ``raw_body_field()`` holds the raw answer of a POST; it is
not a wire field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

WIRE_NAME = "confirma.wire"
WIRE_ALIASES = "confirma.aliases"
WIRE_TYPE = "confirma.wire_type"
WIRE_OMIT_NONE = "confirma.omit_none"
GUESS = "confirma.guess"
NOT_WIRE = "confirma.not_wire"
RULES = "confirma.rules"
NULLABLE = "confirma.nullable"
FREE_TEXT = "confirma.free_text"

Check = Callable[[str, Any], None]


def camel(name: str) -> str:
    """Return the camelCase wire name of a snake_case Python name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire(
    name: str | None = None,
    *,
    aliases: tuple[str, ...] = (),
    as_int: bool = False,
    omit_none: bool = False,
    guess: str | None = None,
) -> dict[str, Any]:
    """Metadata for a field whose wire name is irregular, has aliases, is a 0/1 flag or a guess.

    ``omit_none`` leaves the key out when the value is ``None``: for request fields that are our
    assumption rather than documented, so we never send a key the live API may not know.
    ``guess`` is the id of the assumption (``docs/api-assumptions.md``) a response field rests on.
    """
    meta: dict[str, Any] = {WIRE_OMIT_NONE: True} if omit_none else {}
    if name is not None:
        meta[WIRE_NAME] = name
    if aliases:
        meta[WIRE_ALIASES] = aliases
    if as_int:
        meta[WIRE_TYPE] = "int_flag"
    if guess is not None:
        meta[GUESS] = guess
    return meta


def guessed(assumption: str, name: str | None = None, **more: Any) -> dict[str, Any]:
    """Metadata of a guessed response field (``wire(name, guess=assumption, ...)``)."""
    return wire(name, guess=assumption, **more)


def rules(*checks: Check, nullable: bool = False, **more: Any) -> dict[str, Any]:
    """Metadata attaching request checks to a field (``nullable`` lets ``None`` pass unchecked)."""
    return {RULES: checks, NULLABLE: nullable, **more}


def free_text(**more: Any) -> dict[str, Any]:
    """Metadata of a free-text request string: tab, CR and LF are allowed in it.

    Other control characters and bidirectional overrides never are (see
    :func:`~confirma_async.models._validate.text`).
    """
    return {FREE_TEXT: True, **more}


def wire_name(field: attrs.Attribute[Any]) -> str:
    """Return the wire name of an attrs field."""
    name: str = field.metadata.get(WIRE_NAME) or camel(field.name)
    return name


def is_wire_field(field: attrs.Attribute[Any]) -> bool:
    """True for the fields that map to a wire key (not ``extra``, not ``raw_body``)."""
    return field.name != "extra" and not field.metadata.get(NOT_WIRE)


def wire_fields(cls: type[Any]) -> list[attrs.Attribute[Any]]:
    """The fields of a model that map to wire keys, in declaration order."""
    return [f for f in attrs.fields(cls) if is_wire_field(f)]


def wire_names(cls: type[Any]) -> list[str]:
    """The wire names of a model's fields in declaration order (not ``extra``, ``raw_body``)."""
    return [wire_name(f) for f in wire_fields(cls)]


def guess_of(field: attrs.Attribute[Any]) -> str | None:
    """The assumption id a guessed response field rests on (``None`` for a documented one)."""
    guess: str | None = field.metadata.get(GUESS)
    return guess


def extra_field() -> Any:
    """Return the ``extra`` field every model ends with (undocumented wire keys).

    It takes part in equality but not in the hash, so flat records stay hashable (de-duplication).
    """
    return attrs.field(factory=dict, hash=False)


def raw_body_field() -> Any:
    """Return the ``raw_body`` field of a POST result: the answer's bytes, exactly as received.

    Not a wire field, not in ``repr`` (it may hold a secret, such as a new client's token) and not
    in equality or the hash.
    """
    return attrs.field(default=b"", repr=False, eq=False, metadata={NOT_WIRE: True})
